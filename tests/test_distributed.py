"torchrun with 2 CPU processes (gloo) trains the same model as one process with the same global batch and seed."
import json, os, subprocess, sys
from pathlib import Path
import torch
from simple_diffusion.train import list_checkpoints, load_checkpoint

BIN = Path(sys.executable).parent
ARGS = ['train', '--steps', '4', '--batch-size', '8', '--ckpt-every', '4', '--log-every', '1', '--num-samples', '2',
        '--sample-steps', '2', '--no-progress', '--device', 'cpu']

def torchrun(n, args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([str(BIN / 'torchrun'), '--standalone', f'--nproc_per_node={n}', str(BIN / 'simple-diffusion')] + args,
                          capture_output=True, text=True, env=env, timeout=600)

def result(out):
    (run,) = [p for p in Path(out).iterdir() if p.is_dir()]
    losses = [json.loads(l)['loss'] for l in (run / 'metrics.jsonl').read_text().splitlines()]
    return load_checkpoint(list_checkpoints(run / 'checkpoints')[-1]), losses, run

def test_two_processes_match_one(tmp_path):
    one, two = tmp_path / 'one', tmp_path / 'two'
    r1 = torchrun(1, ARGS + ['--out', str(one)])
    assert r1.returncode == 0, r1.stderr[-3000:]
    r2 = torchrun(2, ARGS + ['--micro-batch', '2', '--out', str(two)])
    assert r2.returncode == 0, r2.stderr[-3000:]
    (s1, l1, _), (s2, l2, run2) = result(one), result(two)
    assert json.loads((run2 / 'config.json').read_text())['world_size'] == 2
    assert torch.allclose(torch.tensor(l1), torch.tensor(l2), atol=1e-4), (l1, l2)   # the same images and noise at every step
    torch.manual_seed(0)
    from simple_diffusion.presets import get_preset, build_model
    init = build_model(get_preset('tiny32')).state_dict()
    for k, v in s1['model'].items():
        moved = (v - init[k]).abs().max()
        diff = (v - s2['model'][k]).abs().max()
        assert diff <= 0.1 * moved + 1e-6, (k, diff.item(), moved.item())       # differences far below the training updates

def test_batch_not_divisible_by_processes(tmp_path):
    r = torchrun(2, ARGS + ['--batch-size', '7', '--out', str(tmp_path)])
    assert r.returncode != 0
    assert 'not divisible by the number of processes (2)' in r.stderr
    assert not any(tmp_path.iterdir())

def test_fsdp_two_processes_match_one(tmp_path):
    "Sharded over 2 processes (FSDP2 on gloo), stopped at step 2 and resumed to 4: the same losses and weights as 1 process."
    one, two = tmp_path / 'one', tmp_path / 'two'
    r1 = torchrun(1, ARGS + ['--out', str(one)])
    assert r1.returncode == 0, r1.stderr[-3000:]
    r2 = torchrun(2, ARGS + ['--fsdp', '--steps', '2', '--ckpt-every', '2', '--out', str(two)])
    assert r2.returncode == 0, r2.stderr[-3000:]
    (run2,) = [p for p in two.iterdir() if p.is_dir()]
    r3 = torchrun(2, ['train', '--resume', str(run2), '--steps', '4', '--device', 'cpu', '--no-progress'])
    assert r3.returncode == 0, r3.stderr[-3000:]
    (s1, l1, _), (s2, l2, _) = result(one), result(two)
    assert json.loads((run2 / 'config.json').read_text())['options']['fsdp'] is True
    assert s2['step'] == 4 and (run2 / 'ema.safetensors').exists() and (run2 / 'samples.png').exists()
    assert torch.allclose(torch.tensor(l1), torch.tensor(l2), atol=1e-4), (l1, l2)
    for part in ('model', 'ema'):
        a, b = (s1[part] if part == 'model' else s1[part]['model']), (s2[part] if part == 'model' else s2[part]['model'])
        assert set(a) == set(b)
        for k in a: assert (a[k] - b[k]).abs().max() <= 1e-3, (part, k)
