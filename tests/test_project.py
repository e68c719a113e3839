"Checks of the package as installed and of the project's own promises (README commands, benchmark data)."
import importlib.util, json, re, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import torch
from simple_diffusion.data import render_openmoji
from simple_diffusion.schedules import logsnr_cosine, logsnr_shifted, logsnr_interpolated

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / 'shared' / 'bench' / 'render_openmoji.py'

def readme_commands():
    "The shell commands in the README's fenced bash blocks."
    text = (ROOT / 'README.md').read_text()
    return [l.strip() for block in re.findall(r'```(?:bash|sh)\n(.*?)```', text, re.S) for l in block.splitlines() if l.strip() and not l.startswith('#')]

def test_readme_commands_are_the_scripts():
    cmds = readme_commands()
    assert 'bash scripts/main_job.sh' in cmds and 'bash scripts/test.sh' in cmds, cmds

def test_ci_runs_the_readme_test_command():
    assert 'bash scripts/test.sh' in (ROOT / '.ci' / 'run').read_text().splitlines()

def test_readme_is_generated_from_index_notebook():
    out = subprocess.run([sys.executable, 'scripts/make_readme.py', '--check'], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr

@pytest.mark.skipif(not BENCH.exists(), reason='shared/bench is not beside this checkout')
def test_openmoji_matches_benchmark_reference():
    spec = importlib.util.spec_from_file_location('render_openmoji', BENCH)
    bench = importlib.util.module_from_spec(spec); spec.loader.exec_module(bench)
    ref = bench.render(64)
    ours = render_openmoji(64)['images']
    assert ours.shape == ref.shape == (1860, 64, 64, 3)
    assert np.array_equal(ours, ref)

def test_schedule_endpoints_float32_and_float64():
    for dtype in (torch.float32, torch.float64):
        t = torch.tensor([0., 1.], dtype=dtype)
        assert torch.allclose(logsnr_cosine(t), torch.tensor([15., -15.], dtype=dtype), atol=1e-5)
        assert logsnr_cosine(t).dtype == dtype
        assert torch.allclose(logsnr_shifted(t, 256), torch.tensor([15 - 2.7726, -15 - 2.7726], dtype=dtype), atol=1e-4)
        assert torch.allclose(logsnr_interpolated(t, 512), torch.tensor([15 - 1.3863, -15 - 5.5452], dtype=dtype), atol=1e-4)

def test_cli_help_documents_every_option():
    exe = Path(sys.executable).parent / 'simple-diffusion'
    out = subprocess.run([str(exe), 'train', '--help'], capture_output=True, text=True)
    assert out.returncode == 0
    for opt in ['--data', '--preset', '--resolution', '--schedule', '--steps', '--batch-size', '--micro-batch', '--lr', '--seed', '--out',
                '--resume', '--precision', '--compile', '--ckpt-every', '--sample-every', '--num-samples', '--sample-steps', '--guide-step', '--guidance', '--guidance-interval']:
        assert opt in out.stdout, opt
    out = subprocess.run([str(exe), 'sample', '--help'], capture_output=True, text=True)
    assert out.returncode == 0
    for opt in ['source', '--num-images', '--seed', '--steps', '--batch-size', '--out', '--guidance', '--guide', '--guidance-interval']: assert opt in out.stdout, opt

def test_cli_refuses_unknown_preset_before_work(tmp_path):
    exe = Path(sys.executable).parent / 'simple-diffusion'
    out = subprocess.run([str(exe), 'train', '--preset', 'nope', '--out', str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 2 and 'unknown preset' in out.stderr
    assert not any(tmp_path.iterdir())

def test_cli_trains_with_bf16_and_compile(tmp_path):
    exe = Path(sys.executable).parent / 'simple-diffusion'
    out = subprocess.run([str(exe), 'train', '--steps', '3', '--batch-size', '4', '--precision', 'bf16', '--compile', '--log-every', '1',
                          '--num-samples', '2', '--sample-steps', '2', '--no-progress', '--device', 'cpu', '--out', str(tmp_path)],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    (run,) = list(tmp_path.iterdir())
    cfg = json.loads((run / 'config.json').read_text())
    assert cfg['train']['precision'] == 'bf16' and cfg['train']['compile'] is True
    losses = [json.loads(l)['loss'] for l in (run / 'metrics.jsonl').read_text().splitlines()]
    assert len(losses) == 3 and all(np.isfinite(losses))
