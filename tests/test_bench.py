"The training-step benchmark runs on tiny presets on the CPU and reports what it measured."
import json, subprocess, sys
from pathlib import Path

SCRIPT = str(Path(__file__).resolve().parents[1] / 'scripts' / 'bench_train_step.py')

def bench(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=600)

def test_bench_train_step_table(tmp_path):
    out = tmp_path / 'bench.json'
    r = bench('--presets', 'tiny32', 'tiny32-uvit', '--batch', '4', '--settings', 'fp32', 'bf16+cl+t1', '--seconds', '0.3', '--warmup', '1',
              '--out', str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    table = json.loads(out.read_text())
    rows = {(row['preset'], row['setting']): row for row in table['rows']}
    assert set(rows) == {(p, s) for p in ('tiny32', 'tiny32-uvit') for s in ('fp32', 'bf16+cl+t1')}
    assert rows['tiny32', 'fp32']['gflop_per_img'] == 2.4                     # 76.8 GFLOP per step of 32 (notebook 14)
    assert rows['tiny32', 'fp32']['params_m'] == 3.37
    for row in table['rows']:
        assert row['img_per_s'] > 0 and row['steps_timed'] >= 3 and row['peak_gib'] is None      # no GPU memory on the CPU
        assert abs(row['mfu'] - row['tflops'] / table['matmul_bf16_tflops']) < 0.002
    assert table['matmul_bf16_tflops'] > 0 and 'CPU' in table['device']
    assert '| tiny32 | 4 | bf16+cl+t1 |' in r.stdout                          # the markdown table

def test_bench_train_step_refuses_unknown_setting():
    r = bench('--settings', 'bf16+fast')
    assert r.returncode != 0 and "unknown part 'fast' in setting 'bf16+fast'" in r.stderr
