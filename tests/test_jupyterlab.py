"""A lesson run the way its readers run it: JupyterLab served on 127.0.0.1 with a token, the notebook opened in headless
Chromium, Run All Cells, and then every cell executed, no error output, its figures drawn and its sliders rendered.
A screenshot of the run notebook is left in tests/artifacts/."""
import os, secrets, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSON = '08_sampling.ipynb'                                  # figures, a widget, no training: a minute on two cores

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture
def lab(tmp_path):
    "JupyterLab serving a copy of the lesson (the repository's notebook is not touched): (URL of the notebook, server)."
    shutil.copy(ROOT / 'nbs' / LESSON, tmp_path / LESSON)
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ('IN_TEST', 'MPLBACKEND')}   # as a reader runs it: full size, inline figures, sliders
    settings = tmp_path / 'settings' / '@jupyterlab' / 'notebook-extension'                 # render every cell, not only those in view
    settings.mkdir(parents=True); (settings / 'tracker.jupyterlab-settings').write_text('{"windowingMode": "none"}')
    server = subprocess.Popen([sys.executable, '-m', 'jupyter', 'lab', '--no-browser', '--allow-root', '--ip=127.0.0.1', f'--port={port}',
                               f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={tmp_path}',
                               '--LabApp.expose_app_in_browser=True', f'--LabApp.user_settings_dir={tmp_path / "settings"}'],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f'http://127.0.0.1:{port}'
    for _ in range(120):
        try: urllib.request.urlopen(f'{base}/api/status?token={token}', timeout=1); break
        except OSError: time.sleep(0.5)
    else: server.kill(); pytest.fail('jupyter lab did not start within 60 s')
    yield f'{base}/lab/tree/{LESSON}?token={token}', server
    server.terminate(); server.wait(10)

STATE = """() => {
  if (!window.jupyterapp || !window.jupyterapp.shell) return null;
  const nb = window.jupyterapp.shell.currentWidget;
  if (!nb || !nb.content || !nb.sessionContext.session) return null;
  const code = nb.content.widgets.filter(c => c.model.type === 'code');
  return {kernel: nb.sessionContext.session.kernel.status, cells: code.length,
          run: code.filter(c => c.model.executionCount !== null).length};
}"""

def test_run_all_cells_in_jupyterlab(lab, chromium, artifacts):
    url, server = lab
    sync_playwright, chromium_path = chromium
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=['--no-sandbox'])
        page = browser.new_page(viewport={'width': 1400, 'height': 1000})
        page.goto(url)
        page.wait_for_function(f'() => {{ const s = ({STATE})(); return s && s.kernel === "idle"; }}', timeout=90_000)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(f'() => {{ const s = ({STATE})(); return s && s.run === s.cells && s.kernel === "idle"; }}', timeout=480_000)
        state = page.evaluate(f'({STATE})()')
        errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
        error_text = [errors.nth(i).inner_text()[:300] for i in range(errors.count())]
        images = page.evaluate("[...document.querySelectorAll('.jp-RenderedImage img')].filter(i => i.complete && i.naturalWidth > 0).length")
        page.locator('.widget-slider').first.scroll_into_view_if_needed()
        sliders = page.locator('.widget-slider').count()
        page.screenshot(path=str(artifacts / 'jupyterlab-sampling.png'))
        browser.close()
    assert state['run'] == state['cells'] > 10, state
    assert not error_text, '\n---\n'.join(error_text)
    assert images >= 3, f'{images} figures drawn'
    assert sliders >= 1, 'no slider rendered'
