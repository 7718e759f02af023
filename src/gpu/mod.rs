//! The GPU device through wgpu compute: adapter choice, one shared device, pipelines, storage
//! buffers, chunked dispatch over a 2-D workgroup grid, and readback. Kernels live with their
//! setting's kernel module (e.g. `kernels::bandit::gpu`); this module knows no model.
//!
//! Adapter choice: Vulkan, Metal and DX12 only, unless `WGPU_BACKEND` (e.g. `vulkan`, `gl`) names
//! the backends explicitly; `WGPU_ADAPTER_NAME`
//! keeps adapters whose name contains it (case-insensitive); among the rest a discrete GPU beats
//! an integrated one, which beats a CPU adapter (lavapipe/llvmpipe), and Vulkan/Metal beat DX12,
//! which beats GL. The device takes the adapter's own limits, and `SHADER_INT64` when offered
//! (kernels then use u64 products; otherwise 16-bit limbs, same results).
//!
//! Precision: kernels run on u32 (and u64) integers only, so the GPU computes the same bits as
//! the CPU's fixed-point kernels.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Why the GPU path could not run.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GpuError {
    #[error("no GPU adapter: {0}")]
    NoAdapter(String),
    #[error("GPU device request failed on {adapter}: {message}")]
    Device { adapter: String, message: String },
    #[error("GPU shader '{entry}' did not compile: {message}")]
    Shader { entry: String, message: String },
    #[error("GPU buffer of {bytes} bytes exceeds the adapter's limit of {limit} bytes ({what})")]
    TooLarge { what: String, bytes: u64, limit: u64 },
    #[error("GPU readback failed: {0}")]
    Readback(String),
    #[error("GPU result failed its invariant check: {0}")]
    Invariant(String),
    #[error("this build has no GPU engine (built without the `gpu` feature)")]
    NotBuilt,
    #[error("GPU run cancelled")]
    Cancelled,
    #[error("not supported by the GPU kernel: {0}")]
    Unsupported(String),
}

/// The shared device and what kernels need to know about it.
pub struct Context {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// "name (backend, device type)", recorded in manifests.
    pub adapter: String,
    /// u64 arithmetic in shaders.
    pub int64: bool,
    /// A CPU adapter (lavapipe, llvmpipe): kernels may prefer another layout there.
    pub cpu: bool,
    pub limits: wgpu::Limits,
    /// Compiled pipelines by (source, entry): a sweep's blocks and cells share them.
    pipelines: Mutex<HashMap<(String, String), wgpu::ComputePipeline>>,
}

/// The backends asked for when `WGPU_BACKEND` is unset.
pub const COMPUTE_BACKENDS: wgpu::Backends =
    wgpu::Backends::VULKAN.union(wgpu::Backends::METAL).union(wgpu::Backends::DX12);

static CONTEXT: OnceLock<Result<Context, GpuError>> = OnceLock::new();

fn backend_rank(b: wgpu::Backend) -> u32 {
    match b {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal => 0,
        wgpu::Backend::Dx12 => 1,
        wgpu::Backend::Gl => 2,
        _ => 3,
    }
}

fn type_rank(t: wgpu::DeviceType) -> u32 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

fn open() -> Result<Context, GpuError> {
    // Only backends that run compute reliably, unless WGPU_BACKEND names another: wgpu's GL
    // backend (Mesa's EGL on a machine without Vulkan) deadlocks on its adapter context and
    // aborts the process in a destructor, which no caller could catch.
    let backends = wgpu::Backends::from_env().unwrap_or(COMPUTE_BACKENDS);
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends;
    let instance = wgpu::Instance::new(desc);
    let adapters = pollster::block_on(instance.enumerate_adapters(backends));
    let filter = std::env::var("WGPU_ADAPTER_NAME").ok().map(|s| s.to_lowercase());
    let seen: Vec<String> =
        adapters.iter().map(|a| format!("{} ({:?})", a.get_info().name, a.get_info().backend)).collect();
    let adapter = adapters
        .into_iter()
        .filter(|a| filter.as_ref().is_none_or(|f| a.get_info().name.to_lowercase().contains(f)))
        .min_by_key(|a| (type_rank(a.get_info().device_type), backend_rank(a.get_info().backend)))
        .ok_or_else(|| {
            GpuError::NoAdapter(if seen.is_empty() {
                format!("wgpu found none on backends {backends:?} (install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers, or set WGPU_BACKEND)")
            } else {
                format!("none matches WGPU_ADAPTER_NAME={:?} among {}", filter.unwrap_or_default(), seen.join(", "))
            })
        })?;
    let info = adapter.get_info();
    let name = format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type);
    let int64 = adapter.features().contains(wgpu::Features::SHADER_INT64);
    let required_features = if int64 { wgpu::Features::SHADER_INT64 } else { wgpu::Features::empty() };
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("regretlab"),
        required_features,
        required_limits: adapter.limits(),
        experimental_features: wgpu::ExperimentalFeatures::default(),
        memory_hints: wgpu::MemoryHints::Performance,
        trace: wgpu::Trace::Off,
    }))
    .map_err(|e| GpuError::Device { adapter: name.clone(), message: e.to_string() })?;
    let limits = device.limits();
    let cpu = info.device_type == wgpu::DeviceType::Cpu;
    Ok(Context { device, queue, adapter: name, int64, cpu, limits, pipelines: Mutex::new(HashMap::new()) })
}

/// The process's GPU context, opened on first use and shared (tests and jobs alike).
pub fn context() -> Result<&'static Context, GpuError> {
    CONTEXT.get_or_init(open).as_ref().map_err(Clone::clone)
}

/// The 32 × 32 → 64-bit product as (hi, lo), in WGSL: native u64 where the device has it,
/// otherwise four 16-bit partial products. Both give the same integers.
pub fn wgsl_mul_wide(int64: bool) -> &'static str {
    if int64 { include_str!("shaders/mul_wide_u64.wgsl") } else { include_str!("shaders/mul_wide_limbs.wgsl") }
}

/// Philox4x32-10 in WGSL (needs `mul_wide`), the same rounds as [`crate::rng::philox4x32_10`].
pub const WGSL_PHILOX: &str = include_str!("shaders/philox.wgsl");

impl Context {
    /// The compute pipeline of `entry` in `src` (layout from the shader), compiled once per
    /// process.
    pub fn pipeline(&self, src: &str, entry: &str) -> Result<wgpu::ComputePipeline, GpuError> {
        let key = (src.to_string(), entry.to_string());
        if let Some(p) = self
            .pipelines
            .lock()
            .map_err(|e| GpuError::Device { adapter: self.adapter.clone(), message: e.to_string() })?
            .get(&key)
        {
            return Ok(p.clone());
        }
        let pipe = self.compile(src, entry)?;
        self.pipelines
            .lock()
            .map_err(|e| GpuError::Device { adapter: self.adapter.clone(), message: e.to_string() })?
            .insert(key, pipe.clone());
        Ok(pipe)
    }

    fn compile(&self, src: &str, entry: &str) -> Result<wgpu::ComputePipeline, GpuError> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(entry),
            source: wgpu::ShaderSource::Wgsl(src.into()),
        });
        let pipe = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: None,
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        });
        match pollster::block_on(scope.pop()) {
            None => Ok(pipe),
            Some(e) => Err(GpuError::Shader { entry: entry.to_string(), message: e.to_string() }),
        }
    }

    /// The largest buffer a kernel may bind.
    pub fn max_binding(&self) -> u64 {
        self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size)
    }

    /// A storage buffer holding `data` (read-only in the shader when `read_only`), checked
    /// against the adapter's limits.
    pub fn storage(&self, what: &str, data: &[u32]) -> Result<wgpu::Buffer, GpuError> {
        use wgpu::util::DeviceExt;
        let bytes = (data.len().max(1) * 4) as u64;
        if bytes > self.max_binding() {
            return Err(GpuError::TooLarge { what: what.to_string(), bytes, limit: self.max_binding() });
        }
        let padded: Vec<u32> = if data.is_empty() { vec![0] } else { data.to_vec() };
        Ok(self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(what),
            contents: bytemuck::cast_slice(&padded),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        }))
    }

    /// A uniform buffer of `words` u32 (written before each dispatch).
    pub fn uniform(&self, words: usize) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params"),
            size: (words * 4) as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// The workgroup grid for `invocations` threads in workgroups of `wg`: (x, y) with x at most
    /// the per-dimension limit (65,535 on most adapters), so large batches use the second axis.
    pub fn grid(&self, invocations: u32, wg: u32) -> Result<(u32, u32), GpuError> {
        let groups = invocations.div_ceil(wg).max(1);
        let cap = self.limits.max_compute_workgroups_per_dimension.max(1);
        let x = groups.min(cap);
        let y = groups.div_ceil(x);
        if y > cap {
            return Err(GpuError::TooLarge {
                what: "workgroup grid".into(),
                bytes: groups as u64,
                limit: cap as u64 * cap as u64,
            });
        }
        Ok((x, y))
    }

    /// One dispatch of `pipe` with `bind` over the grid `(x, y)`, after writing `params`.
    pub fn dispatch(
        &self,
        pipe: &wgpu::ComputePipeline,
        bind: &wgpu::BindGroup,
        params_buf: &wgpu::Buffer,
        params: &[u32],
        (x, y): (u32, u32),
    ) {
        self.queue.write_buffer(params_buf, 0, bytemuck::cast_slice(params));
        let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("dispatch") });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
            pass.set_pipeline(pipe);
            pass.set_bind_group(0, bind, &[]);
            pass.dispatch_workgroups(x, y, 1);
        }
        self.queue.submit(Some(enc.finish()));
    }

    /// Copies the first `words` u32 of each buffer back to the host, in order.
    pub fn read(&self, bufs: &[&wgpu::Buffer], words: usize) -> Result<Vec<Vec<u32>>, GpuError> {
        let bytes = (words * 4) as u64;
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: bytes * bufs.len() as u64,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("readback") });
        for (i, b) in bufs.iter().enumerate() {
            enc.copy_buffer_to_buffer(b, 0, &staging, i as u64 * bytes, bytes);
        }
        self.queue.submit(Some(enc.finish()));
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Readback(e.to_string()))?;
        rx.recv().map_err(|e| GpuError::Readback(e.to_string()))?.map_err(|e| GpuError::Readback(e.to_string()))?;
        let out = {
            let view = slice.get_mapped_range().map_err(|e| GpuError::Readback(e.to_string()))?;
            let all: &[u32] = bytemuck::cast_slice(&view);
            all.chunks(words).map(|c| c.to_vec()).collect()
        };
        staging.unmap();
        Ok(out)
    }
}
