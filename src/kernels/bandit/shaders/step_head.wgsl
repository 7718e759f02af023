    LOAD
    var blk = vec4<u32>(0u);
    for (var m = P.m_begin; m < m_end; m++) {
        if ((m & 3u) == 0u || m == P.m_begin) {
            blk = philox(vec4<u32>(m >> 2u, rep, P.role, 0u), key);
        }
        let u = blk[m & 3u];
        var arm = m % K;
        if (m >= sg.explore) {
            CHOOSE
        }