"""Write README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which these machines lack). `--check` only compares."""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]
nb = json.loads((root / 'nbs' / 'index.ipynb').read_text())
parts = []
for cell in nb['cells']:
    src = ''.join(cell['source']).strip()
    if not src or src.startswith('#|'): continue
    src = src.replace('](images/', '](nbs/images/')                 # the notebook's image paths, seen from the repository root
    parts.append(src if cell['cell_type'] == 'markdown' else f'```python\n{src}\n```')
text = '<!-- generated from nbs/index.ipynb by scripts/make_readme.py: edit the notebook, not this file -->\n\n' + '\n\n'.join(parts) + '\n'
readme = root / 'README.md'
if '--check' in sys.argv:
    if readme.read_text() != text: sys.exit('README.md is out of step with nbs/index.ipynb: run python scripts/make_readme.py')
else:
    readme.write_text(text)
