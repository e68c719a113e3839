"A training process killed at any moment (even while writing a checkpoint) resumes and ends exactly where an uninterrupted run ends."
import json, os, random, signal, subprocess, sys, time
from pathlib import Path
import pytest
import torch
from simple_diffusion.train import list_checkpoints, load_checkpoint

EXE = str(Path(sys.executable).parent / 'simple-diffusion')
ARGS = ['train', '--steps', '12', '--batch-size', '4', '--ckpt-every', '2', '--keep-ckpts', '2', '--log-every', '1',
        '--num-samples', '2', '--sample-steps', '2', '--no-progress', '--device', 'cpu']

def run(args, env=None, **kw):
    return subprocess.run([EXE] + args, capture_output=True, text=True, env=dict(os.environ, **(env or {})), **kw)

def final_weights(run_dir):
    state = load_checkpoint(list_checkpoints(Path(run_dir) / 'checkpoints')[-1])
    assert state['step'] == 12
    return state

def assert_same(a, b):
    for part in ('model',):
        for k in a[part]: assert torch.equal(a[part][k], b[part][k]), k
    for k in a['ema']['model']: assert torch.equal(a['ema']['model'][k], b['ema']['model'][k]), k

def only_run(out):
    runs = [p for p in Path(out).iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]

@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp('ref')
    r = run(ARGS + ['--out', str(out)])
    assert r.returncode == 0, r.stderr
    return final_weights(only_run(out))

def test_kill_while_writing_a_checkpoint(tmp_path, reference):
    r = run(ARGS + ['--out', str(tmp_path)], env={'SIMPLE_DIFFUSION_FAULT': 'checkpoint:6'})
    assert r.returncode == -signal.SIGKILL
    d = only_run(tmp_path)
    assert [p.name for p in list_checkpoints(d / 'checkpoints')] == ['ckpt-00000002.pt', 'ckpt-00000004.pt']
    assert list((d / 'checkpoints').glob('.ckpt-00000006.pt.tmp'))                  # the half-written file never became a checkpoint
    steps = [json.loads(l)['step'] for l in (d / 'metrics.jsonl').read_text().splitlines()]
    assert steps[:4] == [1, 2, 3, 4]                                                 # nothing before the last checkpoint is lost
    r = run(['train', '--resume', str(d), '--no-progress'])
    assert r.returncode == 0, r.stderr
    assert 'resumed from ckpt-00000004.pt (step 4)' in r.stdout
    assert not list((d / 'checkpoints').glob('.ckpt-*.tmp'))
    assert [json.loads(l)['step'] for l in (d / 'metrics.jsonl').read_text().splitlines()] == list(range(1, 13))
    assert_same(final_weights(d), reference)

def _wait_for_training(run_parent, p, timeout=120):
    "Wait until the process has logged a training step (or ended)."
    t0 = time.time()
    while time.time() - t0 < timeout and p.poll() is None:
        runs = [d for d in Path(run_parent).iterdir() if d.is_dir()]
        m = runs[0] / 'metrics.jsonl' if runs else None
        if m and m.exists() and m.read_text().strip(): return
        time.sleep(0.05)

def test_kill_at_random_moments(tmp_path):
    args = [a if a != '12' else '40' for a in ARGS]                # 40 steps, a checkpoint every 2
    r = run(args + ['--out', str(tmp_path / 'ref')])
    assert r.returncode == 0, r.stderr
    ref = load_checkpoint(list_checkpoints(only_run(tmp_path / 'ref') / 'checkpoints')[-1])
    rng, out, kills = random.Random(0), tmp_path / 'killed', 0
    out.mkdir()
    p = subprocess.Popen([EXE] + args + ['--out', str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while kills < 4:
        _wait_for_training(out, p)
        time.sleep(rng.uniform(0, 0.6))                               # a random moment of training, checkpoint writes included
        if p.poll() is not None: break
        p.send_signal(signal.SIGKILL); p.wait(); kills += 1
        p = subprocess.Popen([EXE, 'train', '--resume', str(only_run(out)), '--no-progress'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert kills >= 2, kills
    state = load_checkpoint(list_checkpoints(only_run(out) / 'checkpoints')[-1])
    assert state['step'] == 40
    assert_same(state, ref)
    assert [json.loads(l)['step'] for l in (only_run(out) / 'metrics.jsonl').read_text().splitlines()] == list(range(1, 41))

def test_truncated_checkpoint_falls_back_to_the_previous(tmp_path, reference):
    r = run(ARGS + ['--out', str(tmp_path)], env={'SIMPLE_DIFFUSION_FAULT': 'step:9'})
    assert r.returncode == -signal.SIGKILL
    d = only_run(tmp_path)
    newest = list_checkpoints(d / 'checkpoints')[-1]
    assert newest.name == 'ckpt-00000008.pt'
    newest.write_bytes(newest.read_bytes()[:1000])
    r = run(['train', '--resume', str(d), '--no-progress'])
    assert r.returncode == 0, r.stderr
    assert 'ckpt-00000008.pt is unreadable' in r.stderr and 'resumed from ckpt-00000006.pt (step 6)' in r.stdout
    assert_same(final_weights(d), reference)
