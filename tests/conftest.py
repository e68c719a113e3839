import os, shutil, tempfile
# Everything a test session writes to temporary space (pytest's tmp_path, the notebooks' tempfile.mkdtemp folders, the
# runs of the CLI subprocesses they start) goes under one folder that is removed when the session ends: a notebook run
# writes about a gigabyte of checkpoints, and repeated runs must not fill the disk.
SESSION_TMP = tempfile.mkdtemp(prefix='simple_diffusion-tests-')
os.environ['TMPDIR'] = tempfile.tempdir = SESSION_TMP
# Tests render OpenMoji into a private cache, so they never depend on (or pollute) the user's cache.
os.environ.setdefault('SIMPLE_DIFFUSION_CACHE', os.path.join(SESSION_TMP, 'cache'))
os.environ.setdefault('MPLBACKEND', 'Agg')

def pytest_unconfigure(config):
    "Remove the session's temporary folder."
    shutil.rmtree(SESSION_TMP, ignore_errors=True)

from pathlib import Path
import pytest

ARTIFACTS = Path(__file__).resolve().parent / 'artifacts'      # screenshots the browser tests leave for a person to look at

@pytest.fixture
def chromium():
    "(Playwright's sync_playwright, path of the system Chromium) for the browser tests, or a skip that says what is missing."
    path = shutil.which('chromium') or shutil.which('chromium-browser')
    if not path: pytest.skip('Chromium is not installed (apt-get install -y chromium): the browser tests cannot run')
    sync_playwright = pytest.importorskip('playwright.sync_api', reason='playwright is not installed (pip install playwright)').sync_playwright
    return sync_playwright, path

@pytest.fixture
def artifacts():
    "The folder for screenshots the browser tests leave (tests/artifacts)."
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
