"""`pip install` as a user does it: build the wheel and the sdist, install the wheel (not editable) into a fresh
virtual environment, and use the library from there: `simple-diffusion --help`, a two-step training run and a sample.

The fresh environment gets its dependencies (torch and the rest, several GB) from the project's environment through a
path file, so the test copies and downloads nothing; `pip check` then confirms that they satisfy what the wheel requires."""
import json, os, site, subprocess, sys, tarfile, zipfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def run(*cmd, cwd, env=None):
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True)
    assert p.returncode == 0, f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}"
    return p.stdout

@pytest.fixture(scope='module')
def dists(tmp_path_factory):
    "The wheel and the sdist, built from the repository."
    out = tmp_path_factory.mktemp('dist')
    run(sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-w', out, ROOT, cwd=out)
    run(sys.executable, 'setup.py', '-q', 'sdist', '-d', out, cwd=ROOT)
    return next(out.glob('simple_diffusion-*.whl')), next(out.glob('simple_diffusion-*.tar.gz'))

def test_wheel_and_sdist_contents(dists):
    wheel, sdist = dists
    names = zipfile.ZipFile(wheel).namelist()
    modules = {Path(n).name for n in names if n.startswith('simple_diffusion/') and n.endswith('.py')}
    assert modules >= {'__init__.py', 'cli.py', 'train.py', 'unet.py', 'schedules.py', 'fid.py', 'experiments.py'}, modules
    assert not [n for n in names if n.endswith('.ipynb')], 'notebooks do not belong in the wheel'
    meta = [n for n in names if n.endswith('.dist-info/entry_points.txt')]
    assert meta and 'simple-diffusion = simple_diffusion.cli:main' in zipfile.ZipFile(wheel).read(meta[0]).decode()
    assert any(n.endswith('LICENSE') for n in names), 'the wheel carries the LICENSE'
    in_sdist = {Path(n).name for n in tarfile.open(sdist).getnames()}
    assert {'LICENSE', 'README.md', 'settings.ini', 'setup.py'} <= in_sdist, in_sdist

def test_installed_wheel_trains_and_samples(dists, tmp_path):
    wheel, _ = dists
    env_dir = tmp_path / 'env'
    run(sys.executable, '-m', 'venv', '--without-pip', env_dir, cwd=tmp_path)
    py, bin_ = env_dir / 'bin' / 'python', env_dir / 'bin'
    own = Path(run(py, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])', cwd=tmp_path).strip())
    (own / 'project-deps.pth').write_text('\n'.join(site.getsitepackages()) + '\n')         # torch & co., appended after the env's own
    run(sys.executable, '-m', 'pip', '--python', py, 'install', '--no-deps', '--no-index', wheel, cwd=tmp_path)
    found = run(py, '-c', 'import simple_diffusion, sys; print(simple_diffusion.__file__)', cwd=tmp_path).strip()
    assert Path(found).is_relative_to(env_dir), f'simple_diffusion imported from {found}, not from the fresh environment'
    run(sys.executable, '-m', 'pip', '--python', py, 'check', cwd=tmp_path)                  # the wheel's requirements are met
    env = {**os.environ, 'PATH': f"{bin_}{os.pathsep}{os.environ['PATH']}"}
    cli = bin_ / 'simple-diffusion'
    assert 'train' in run(cli, '--help', cwd=tmp_path, env=env)
    run(cli, 'train', '--preset', 'tiny32', '--steps', '2', '--batch-size', '4', '--num-samples', '4', '--sample-steps', '2', '--no-progress',
        '--out', tmp_path / 'runs', cwd=tmp_path, env=env)
    run_dir = next((tmp_path / 'runs').iterdir())
    assert json.loads((run_dir / 'summary.json').read_text())['steps_this_session'] == 2
    run(cli, 'sample', run_dir, '--num-images', '4', '--steps', '2', '--out', tmp_path / 'grid.png', cwd=tmp_path, env=env)
    assert (tmp_path / 'grid.png').stat().st_size > 0
