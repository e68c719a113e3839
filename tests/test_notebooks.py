"Every notebook in nbs/ runs as a test, as `nbdev_test` would run it (IN_TEST set, cells with skipped flags left out)."
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_notebook

NBS = Path(__file__).resolve().parents[1] / 'nbs'
NOTEBOOKS = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))

def test_notebooks_found(): assert len(NOTEBOOKS) >= 8, NOTEBOOKS

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    ok, secs = run_notebook(nb, skip_flags=get_config().tst_flags.split(), showerr=True, basepath=NBS.parent)
    assert ok, f'{nb.name} failed (see the traceback above)'
