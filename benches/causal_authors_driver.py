"""Times the authors' CSL-UCB, LinSEM-TS and Vanilla UCB (CalixPeng/Causal_Bandit, `algos.py`)
on instance 0 of the paper's stationary experiment (read from regretlab's embedded export),
T = 1,500, one core. Run by benches/causal_side_by_side.sh with the anchor on sys.path; their
GOLEM package (TensorFlow) is not imported, so GOLEM-MAB is not timed here."""

import json, sys, time, types

import numpy as np

for name in ["utils_golem.golem_model", "utils_golem.golem_trainer", "utils_golem.train"]:
    stub = types.ModuleType(name)
    stub.GolemModel = stub.GolemTrainer = stub.postprocess = None
    sys.modules[name] = stub
sys.modules["utils_golem"] = types.ModuleType("utils_golem")
sys.path.insert(0, sys.argv[1])
import utils  # noqa: E402
import algos  # noqa: E402

inst = json.load(open(sys.argv[2]))[0]
S = utils.System.__new__(utils.System)
S.N, S.Nu, S.Sigma = 10, np.array(inst["nu"]), np.array(inst["Sigma"])
S.B, S.BI = np.array(inst["B"]), np.array(inst["B_prime"])
S.Reward_exp = S.exp_reward()
np.random.seed(0)
for label, run in [("Vanilla UCB", lambda: algos.vanila_UCB(1500, [0], [S])),
                   ("LinSEM-TS", lambda: algos.LinSEM_TS(1500, [0], [S])),
                   ("CSL-UCB", lambda: algos.CSL_UCB(1500, [0], [S], n_max=100))]:
    t0 = time.process_time()
    reward, _ = run()
    print(f"authors' {label}: {time.process_time() - t0:.1f} CPU s, cumulative reward {reward.sum():.0f}", flush=True)
