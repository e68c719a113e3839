"Nothing lost, nothing silently wrong: resume, run directories, bad options and bad files, on image folders as on OpenMoji."
import json, os, signal, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
from simple_diffusion.cli import main
from simple_diffusion.train import list_checkpoints, load_checkpoint

EXE = str(Path(sys.executable).parent / 'simple-diffusion')
FAST = ['--batch-size', '4', '--log-every', '1', '--ckpt-every', '2', '--num-samples', '2', '--sample-steps', '2', '--no-progress',
        '--device', 'cpu']

@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    "An ImageNet-style folder: 2 classes x 8 smooth random 40x48 images (so crops and flips matter)."
    root, rng = tmp_path_factory.mktemp('images'), np.random.default_rng(0)
    for c in ('cat', 'dog'):
        (root / c).mkdir()
        for k in range(8):
            small = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
            Image.fromarray(small).resize((48, 40), Image.BICUBIC).save(root / c / f'{k}.png')
    return root

def train(out, *args, code=0, capsys=None):
    "Run `simple-diffusion train` in this process; returns (run directory or None, stdout, stderr)."
    rc = main(['train', '--out', str(out), *args])
    o, e = capsys.readouterr() if capsys else ('', '')
    assert rc == code, (rc, o[-2000:], e[-2000:])
    runs = sorted(p for p in Path(out).iterdir() if p.is_dir()) if Path(out).is_dir() else []
    return (runs[-1] if runs else None), o, e

def resume(run, *args, code=0, capsys=None):
    rc = main(['train', '--resume', str(run), *args])
    o, e = capsys.readouterr() if capsys else ('', '')
    assert rc == code, (rc, o[-2000:], e[-2000:])
    return o, e

def snapshot(run):
    return {p.relative_to(run): p.read_bytes() for p in Path(run).rglob('*') if p.is_file() and p.name != '.lock'}

def losses(run): return [(r['step'], r['loss']) for r in map(json.loads, (Path(run) / 'metrics.jsonl').read_text().splitlines())]

def weights(run):
    state = load_checkpoint(list_checkpoints(Path(run) / 'checkpoints')[-1])
    return state['step'], state['model'], state['ema']['model']

def assert_same_weights(a, b):
    assert a[0] == b[0]
    for k in a[1]: assert torch.equal(a[1][k], b[1][k]), k
    for k in a[2]: assert torch.equal(a[2][k], b[2][k]), k

# 1. Unreadable checkpoints never restart a run from step 0.
def test_all_checkpoints_unreadable_refused_and_nothing_touched(tmp_path, folder, capsys):
    run, *_ = train(tmp_path, '--data', str(folder), '--steps', '4', *FAST, capsys=capsys)
    for p in (run / 'checkpoints').glob('*.pt'): p.write_bytes(p.read_bytes()[:500])
    before = snapshot(run)
    _, err = resume(run, '--steps', '8', code=2, capsys=capsys)
    assert 'none is readable' in err and 'ckpt-00000002.pt' in err and 'ckpt-00000004.pt' in err, err
    assert snapshot(run) == before

# 2. Pruning goes by the step inside readable files; junk named like a checkpoint is neither deleted nor chosen.
def test_junk_named_like_a_checkpoint(tmp_path, folder, capsys):
    run, *_ = train(tmp_path, '--data', str(folder), '--steps', '2', *FAST, capsys=capsys)
    junk = run / 'checkpoints' / 'ckpt-00000099.pt'
    junk.write_text('not a checkpoint')
    resume(run, '--steps', '4', '--keep-ckpts', '1', capsys=capsys)
    assert [p.name for p in list_checkpoints(run / 'checkpoints')] == ['ckpt-00000004.pt']
    assert junk.read_text() == 'not a checkpoint'
    out, _ = resume(run, '--steps', '6', capsys=capsys)
    assert 'resumed from ckpt-00000004.pt (step 4)' in out

# 3. An option given on resume is applied or refused, never dropped.
def test_resume_applies_or_refuses_every_given_option(tmp_path, folder, capsys):
    run, *_ = train(tmp_path, '--data', str(folder), '--steps', '6', '--max-seconds', '0.001', *FAST, capsys=capsys)
    assert weights(run)[0] == 1                                                  # the time budget stopped it after one step
    resume(run, '--max-seconds', '0', '--keep-ckpts', '1', capsys=capsys)         # 0 = no limit: applied, so it trains to 6
    assert weights(run)[0] == 6 and len(list_checkpoints(run / 'checkpoints')) == 1
    opts = json.loads((run / 'config.json').read_text())['options']
    assert (opts['max_seconds'], opts['keep_ckpts']) == (0, 1)
    resume(run, '--steps', '2000', '--max-seconds', '1', capsys=capsys)           # 2000 is the default, and still applied
    assert weights(run)[0] > 6 and json.loads((run / 'config.json').read_text())['options']['steps'] == 2000
    for args, msg in [(['--batch-size', '16'], '--batch-size 16 (the run has 4)'), (['--lr', '1e-4'], '--lr 0.0001 (the run has 0.002)'),
                      (['--preset', 'tiny64'], '--preset tiny64'), (['--out', str(tmp_path / 'elsewhere')], '--out')]:
        before = snapshot(run)
        _, err = resume(run, *args, code=2, capsys=capsys)
        assert msg in err and 'start a new run' in err, err
        assert snapshot(run) == before
    resume(run, '--batch-size', '4', '--steps', str(weights(run)[0] + 1), capsys=capsys)   # the same value is no change

# 4. A finished run is refused; one killed before its export is finished.
def test_resume_of_a_finished_run(tmp_path, folder, capsys):
    run, *_ = train(tmp_path, '--data', str(folder), '--steps', '2', *FAST, capsys=capsys)
    before, trained = snapshot(run), losses(run)
    _, err = resume(run, code=2, capsys=capsys)
    assert 'already at step 2' in err and 'more steps' in err, err
    assert snapshot(run) == before
    (run / 'ema.safetensors').unlink(); (run / 'samples.png').unlink()
    out, _ = resume(run, capsys=capsys)
    assert 'is complete at step 2: exporting' in out
    assert (run / 'ema.safetensors').exists() and (run / 'samples.png').exists()
    assert (run / 'summary.json').read_bytes() == before[Path('summary.json')] and losses(run) == trained

def test_stale_export_is_redone_and_not_sampled(tmp_path, folder, capsys):
    run, *_ = train(tmp_path, '--data', str(folder), '--steps', '2', *FAST, capsys=capsys)       # exported at step 2
    env = dict(os.environ, SIMPLE_DIFFUSION_FAULT='step:4')                                     # killed at step 4, before any export
    r = subprocess.run([EXE, 'train', '--resume', str(run), '--steps', '4'], capture_output=True, text=True, env=env)
    assert r.returncode == -signal.SIGKILL
    assert json.loads((run / 'ema.json').read_text())['step'] == 2 and weights(run)[0] == 4
    common = ['--num-images', '2', '--steps', '2']
    assert main(['sample', str(run), *common, '--out', str(tmp_path / 'a.png')]) == 0        # the newest checkpoint's EMA, not the stale export
    assert main(['sample', str(list_checkpoints(run / 'checkpoints')[-1]), *common, '--out', str(tmp_path / 'b.png')]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / 'a.png')), np.asarray(Image.open(tmp_path / 'b.png')))
    out, _ = resume(run, '--steps', '4', capsys=capsys)                                           # finishes the export instead of refusing
    assert 'is complete at step 4: exporting' in out and json.loads((run / 'ema.json').read_text())['step'] == 4
    resume(run, '--steps', '4', code=2, capsys=capsys)

def test_resume_on_changed_data_refused(tmp_path, folder, capsys):
    import shutil
    data = tmp_path / 'data'; shutil.copytree(folder, data)
    run, *_ = train(tmp_path / 'runs', '--data', str(data), '--steps', '2', *FAST, capsys=capsys)
    shutil.copy(data / 'cat' / '0.png', data / 'cat' / 'extra.png')
    before = snapshot(run)
    _, err = resume(run, '--steps', '4', code=2, capsys=capsys)
    assert 'its data has changed (16 images in 2 classes when it started, 17 in 2 classes now)' in err, err
    assert snapshot(run) == before

def test_flips_change_training_and_old_runs_resume_without_them(tmp_path, folder, capsys):
    flipped, *_ = train(tmp_path / 'a', '--data', str(folder), '--steps', '4', *FAST, capsys=capsys)
    plain, *_ = train(tmp_path / 'b', '--data', str(folder), '--steps', '4', *FAST, '--no-hflip', capsys=capsys)
    assert losses(flipped)[:2] == losses(plain)[:2]                  # the zero-initialised output layer ignores the input at first ...
    assert losses(flipped)[2:] != losses(plain)[2:]                  # ... then the flips show
    cfg = json.loads((plain / 'config.json').read_text()); del cfg['options']['hflip']           # a run from before flips were an option
    (plain / 'config.json').write_text(json.dumps(cfg))
    resume(plain, '--steps', '6', capsys=capsys)

# 5. Resume is exact on an image folder with flips, with 0 or 2 workers.
@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory, folder):
    out = tmp_path_factory.mktemp('ref')
    run, *_ = train(out, '--data', str(folder), '--steps', '6', *FAST, '--num-workers', '0')
    assert json.loads((run / 'config.json').read_text())['options']['hflip'] is True
    return losses(run), weights(run)

@pytest.mark.parametrize('workers', [0, 2])
def test_resume_is_exact_on_an_image_folder(tmp_path, folder, uninterrupted, workers):
    run, *_ = train(tmp_path, '--data', str(folder), '--steps', '3', *FAST, '--num-workers', str(workers))
    resume(run, '--steps', '6', '--num-workers', str(workers))
    assert losses(run) == uninterrupted[0]
    assert_same_weights(weights(run), uninterrupted[1])

# 7. Values out of range are refused before a run directory exists.
@pytest.mark.parametrize('args,msg', [
    (['--micro-batch', '-1'], '--micro-batch must be 0 or more'), (['--lr', 'nan'], '--lr must be a positive number'),
    (['--ema-decay', '1'], '--ema-decay must be in [0, 1)'), (['--cond-drop', '2'], '--cond-drop must be in [0, 1]'),
    (['--max-seconds', '-1'], '--max-seconds must be 0'), (['--num-workers', '-2'], '--num-workers must be 0 or more'),
    (['--multiscale-base', '5'], 'the image side 32 divided by a power of 2 (32, 16, 8, 4), got 5'),
    (['--keep-ckpts', '0'], '--keep-ckpts must be at least 1'), (['--batch-size', '17'], 'fewer than one batch of 17'),
    (['--device', 'nonsense'], 'is not a torch device'), (['--skip-bad-images'], 'applies to image folders')])
def test_bad_options_refused_before_any_work(tmp_path, folder, args, msg, capsys):
    data = [] if '--skip-bad-images' in args else ['--data', str(folder)]
    run, _, err = train(tmp_path / 'runs', *data, *FAST, *args, code=2, capsys=capsys)
    assert msg in err and err.startswith('error: ') and len(err.strip().splitlines()) == 1, err
    assert run is None

@pytest.mark.skipif(torch.cuda.is_available(), reason='this machine has a GPU')
def test_cuda_device_without_a_gpu(tmp_path, capsys):
    run, _, err = train(tmp_path, '--device', 'cuda', code=2, capsys=capsys)
    assert 'PyTorch sees no CUDA GPU' in err and run is None

def test_out_that_is_a_file(tmp_path, capsys):
    (tmp_path / 'runs').write_text('')
    assert main(['train', '--out', str(tmp_path / 'runs')]) == 2
    assert 'is a file' in capsys.readouterr().err

# Unreadable images: refused before the run with the file named, skipped with --skip-bad-images; a file whose data
# breaks only when decoded stops the run with one line naming it, in the main process or in a worker.
def test_corrupt_images(tmp_path, folder, capsys):
    bad = tmp_path / 'bad'
    import shutil; shutil.copytree(folder, bad)
    (bad / 'dog' / 'garbage.png').write_bytes(b'this is no PNG')
    run, _, err = train(tmp_path / 'runs', '--data', str(bad), '--steps', '2', *FAST, code=2, capsys=capsys)
    assert 'garbage.png' in err and '--skip-bad-images' in err and len(err.strip().splitlines()) == 1 and run is None, err
    run, out, _ = train(tmp_path / 'runs', '--data', str(bad), '--steps', '2', '--skip-bad-images', *FAST, capsys=capsys)
    assert 'skipping 1 unreadable image(s) of 17' in out
    (bad / 'dog' / 'garbage.png').unlink()
    good = (bad / 'cat' / '0.png').read_bytes()
    (bad / 'cat' / '0.png').write_bytes(good[:len(good) // 2])                    # the header reads, the pixels do not
    for workers in ('0', '2'):
        _, _, err = train(tmp_path / f'trunc{workers}', '--data', str(bad), '--steps', '8', *FAST, '--num-workers', workers, code=2, capsys=capsys)
        assert '0.png' in err and len(err.strip().splitlines()) == 1 and 'Traceback' not in err, err

# 9. sample does what was asked or refuses.
def test_sample_no_ema_and_output_kinds(tmp_path, folder, capsys):
    run, *_ = train(tmp_path / 'runs', '--data', str(folder), '--steps', '4', *FAST, capsys=capsys)
    common = ['--num-images', '4', '--steps', '3']
    assert main(['sample', str(run), *common, '--out', str(tmp_path / 'ema.png')]) == 0
    assert main(['sample', str(run), *common, '--no-ema', '--out', str(tmp_path / 'trained.png')]) == 0
    ema, trained = (np.asarray(Image.open(tmp_path / f)) for f in ('ema.png', 'trained.png'))
    assert ema.shape == trained.shape and not np.array_equal(ema, trained)
    assert main(['sample', str(run), *common, '--out', str(tmp_path / 'grid.jpg')]) == 0
    assert (tmp_path / 'grid.jpg').is_file() and Image.open(tmp_path / 'grid.jpg').format == 'JPEG'
    capsys.readouterr()
    (tmp_path / 'afile').write_text('')
    for args, msg in [(['--out', str(tmp_path / 'afile')], 'is a file'), (['--guidance', 'nan'], '--guidance must be a finite number'),
                      ([str(run / 'ema.safetensors'), '--no-ema'], 'holds only the EMA weights'), (['--device', 'cuda:99'], '--device cuda:99')]:
        source = [] if args[0].endswith('.safetensors') else [str(run)]
        if 'cuda' in ' '.join(args) and torch.cuda.device_count() > 99: continue
        assert main(['sample', *source, *common, *args]) == 2
        assert msg in capsys.readouterr().err

def test_broken_weight_files_named(tmp_path, folder, capsys):
    run, *_ = train(tmp_path / 'runs', '--data', str(folder), '--steps', '2', *FAST, capsys=capsys)
    lone = tmp_path / 'lone.safetensors'
    lone.write_bytes((run / 'ema.safetensors').read_bytes())
    tensor = tmp_path / 'tensor.pt'; torch.save(torch.zeros(3), tensor)
    (run / 'config.json').write_text('{"options": ')
    cases = [(['sample', str(lone)], 'has no lone.json beside it'), (['sample', str(tensor)], 'tensor.pt is not a checkpoint'),
             (['train', '--resume', str(run)], 'config.json is not valid JSON')]
    for argv, msg in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1, err
    (run / 'config.json').write_text('{"train": {}}')
    assert main(['train', '--resume', str(run)]) == 2
    assert "config.json lacks 'options'" in capsys.readouterr().err

# 10. One writer per run directory; a lock left by a killed process is taken over.
def test_two_writers_and_a_stale_lock(tmp_path, folder, capsys):
    run, *_ = train(tmp_path, '--data', str(folder), '--steps', '2', *FAST, capsys=capsys)
    p = subprocess.Popen([EXE, 'train', '--resume', str(run), '--steps', '100000'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        t0 = time.time()
        lines = lambda: len((run / 'metrics.jsonl').read_text().splitlines())   # the writer may be mid-line: count, do not parse
        while lines() < 4 and time.time() - t0 < 120 and p.poll() is None: time.sleep(0.1)
        before = lines()
        _, err = resume(run, '--steps', '200000', code=2, capsys=capsys)
        assert f'is in use by process {p.pid} on ' in err, err
        assert p.poll() is None                                                  # the first writer goes on
    finally:
        p.kill(); p.wait()
    out, _ = resume(run, '--steps', str(weights(run)[0] + 2), capsys=capsys)    # the killed writer's lock is stale
    steps = [s for s, _ in losses(run)]
    assert steps == list(range(1, len(steps) + 1)) and before >= 4                # no duplicate or missing steps

# SIGINT: finish the step, write a checkpoint, exit 130 saying where to resume; resuming ends on the same weights.
def test_ctrl_c_checkpoints_and_resumes_exactly(tmp_path, folder):
    p = subprocess.Popen([EXE, 'train', '--data', str(folder), '--steps', '100000', *FAST, '--ckpt-every', '100000', '--out', str(tmp_path / 'runs')],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while time.time() - t0 < 120 and p.poll() is None:
        m = list(tmp_path.glob('runs/*/metrics.jsonl'))
        if m and len(m[0].read_text().splitlines()) >= 2: break
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, (out[-1000:], err[-1000:])
    (run,) = (tmp_path / 'runs').iterdir()
    (ckpt,) = list_checkpoints(run / 'checkpoints')
    step = load_checkpoint(ckpt)['step']
    assert err.strip().splitlines()[-1] == f'interrupted after step {step}; checkpoint {ckpt}; resume with: simple-diffusion train --resume {run}', err
    resume(run, '--steps', str(step + 2))
    ref, *_ = train(tmp_path / 'ref', '--data', str(folder), '--steps', str(step + 2), *FAST)
    assert losses(run) == losses(ref)
    assert_same_weights(weights(run), weights(ref))

# A full disk: the error says so and the partial file is removed (a real 20 MB tmpfs; needs root to mount).
def test_full_disk(tmp_path, folder):
    disk = tmp_path / 'disk'; disk.mkdir()
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', str(disk)], capture_output=True).returncode:
        pytest.skip('cannot mount a small tmpfs here (needs root)')
    try:
        r = subprocess.run([EXE, 'train', '--data', str(folder), '--steps', '2', *FAST, '--out', str(disk)], capture_output=True, text=True)
        assert r.returncode == 2 and 'the disk is full' in r.stderr and 'partial file was removed' in r.stderr, r.stderr[-2000:]
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert not list(disk.rglob('*.tmp'))
    finally:
        subprocess.run(['umount', str(disk)])

# fid: N of 0 or 1 refused; N below the feature width warned about.
def test_fid_small_n(tmp_path, folder, capsys):
    for n in ('0', '1'):
        assert main(['fid', str(folder), '--resolution', '32', '--num-images', n]) == 2
        assert 'at least 2' in capsys.readouterr().err
    assert main(['fid', str(folder / 'cat'), '--resolution', '32', '--ref', str(folder)]) == 0
    out, err = capsys.readouterr()
    assert 'FID' in out and '2048' in err and 'N = 8' in out, (out, err)
