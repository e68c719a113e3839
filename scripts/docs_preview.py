"""Build an offline preview of the documentation site, for machines without Quarto.

The real site is built by `nbdev_docs` (Quarto) from the notebooks, on the repository host's CI (.github/workflows/deploy.yaml).
This script follows the same path up to the last step: nbdev processes the notebooks exactly as `nbdev_docs` does
(front matter from the title cell, `show_doc` executed into API entries, hidden cells dropped: `nbdev.serve.proc_nbs`
into `_proc/`), then, where Quarto would render, nbconvert's HTML exporter renders each processed notebook and one
page template adds the title, the description and the sidebar of `nbs/sidebar.yml`.

    python scripts/docs_preview.py                # writes _preview/ (open _preview/index.html)
    python scripts/docs_preview.py --out DIR --serve 8000
"""
import argparse, functools, html, http.server, os, re, shutil, sys
from pathlib import Path
import nbformat, yaml
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from nbdev.config import get_config
from nbdev.serve import proc_nbs

ROOT = Path(__file__).resolve().parent.parent

def sidebar(nbs:Path) -> list:
    "The notebooks of the site, in the sidebar's order (nbs/sidebar.yml)."
    contents = yaml.safe_load((nbs / 'sidebar.yml').read_text())['website']['sidebar']['contents']
    return [c for c in contents if isinstance(c, str) and c.endswith('.ipynb')]

def front_matter(nb) -> dict:
    "The YAML front matter nbdev puts in a processed notebook's first raw cell (title, description, output-file)."
    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != 'raw' or not first.source.startswith('---'): return {}
    return yaml.safe_load(first.source.strip().strip('-')) or {}

def quarto_options(cell) -> dict:
    "A code cell's Quarto options (`#| echo: false` ...), which nbdev leaves for Quarto to apply."
    opts = {}
    for line in cell.source.splitlines():
        m = re.match(r'#\|\s*([\w-]+):\s*(.*)', line)
        if m: opts[m[1]] = m[2].strip()
    return opts

def apply_quarto_options(nb):
    "Do what Quarto does with cell options: hide inputs (echo: false), outputs (output: false) or whole cells (include: false)."
    cells = []
    for cell in nb.cells[1:] if front_matter(nb) else nb.cells:
        if cell.cell_type == 'code':
            opts = quarto_options(cell)
            if opts.get('include') == 'false': continue
            cell.source = '\n'.join(l for l in cell.source.splitlines() if not l.startswith('#|'))
            tags = cell.metadata.setdefault('tags', [])
            if opts.get('echo') == 'false' or not cell.source.strip(): tags.append('remove_input')
            if opts.get('output') == 'false': cell.outputs = []
            cell.outputs = [o for o in cell.outputs if 'application/vnd.jupyter.widget-view+json' not in o.get('data', {})]   # live sliders: no kernel here
            for out in cell.outputs:                          # show_doc's source link carries Quarto link attributes
                md = out.get('data', {}).get('text/markdown')
                if md: out['data']['text/markdown'] = re.sub(r'\]\(([^)]*)\)\{[^}]*\}', r'](\1)', md)
        cells.append(cell)
    nb.cells = cells
    return nb

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – {site}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="preview.css"><link rel="stylesheet" href="styles.css"></head>
<body><nav class="sidebar"><a class="site" href="index.html">{site}</a><ul>{links}</ul></nav>
<main><header><h1 class="title">{title}</h1><p class="description">{description}</p></header>
{body}<footer>{footer}</footer></main></body></html>
"""

CSS = """body{margin:0;font-family:system-ui,sans-serif;display:flex;line-height:1.45;color:#222}
nav.sidebar{width:15rem;flex:none;padding:1rem;border-right:1px solid #ddd;min-height:100vh;background:#f8f9fa;font-size:.9rem}
nav.sidebar ul{list-style:none;padding:0} nav.sidebar li{margin:.3rem 0} nav.sidebar a{color:#2780e3;text-decoration:none}
nav.sidebar li.active a{font-weight:bold;color:#222} nav.sidebar a.site{font-size:1.2rem;font-weight:bold;color:#222}
footer{margin-top:2rem;padding-top:.5rem;border-top:1px solid #ddd;color:#555;font-size:.85rem;text-align:center}
main{max-width:60rem;padding:1rem 2rem;overflow-x:auto} header .description{color:#555;font-size:1.1rem}
pre{background:#f4f4f4;padding:.5rem;overflow-x:auto;font-size:.85rem} .jp-OutputArea pre{background:none}
table{border-collapse:collapse;font-size:.85rem} td,th{border:1px solid #ccc;padding:.2rem .4rem}
img{max-width:100%}
"""

def markdown_link(text:str) -> str:
    "The site footer's markdown (plain text with [links](url)) as HTML."
    return re.sub(r'\[([^\]]+)\]\(([^)]+)\)', r'<a href="\2">\1</a>', html.escape(text, quote=False))

def page_name(notebook:str, fm:dict) -> str:
    "The page's file name: the front matter's output-file (how nbdev names pages), else the notebook's stem."
    return fm.get('output-file') or Path(notebook).with_suffix('.html').name

def build(out:Path, # where the preview goes
          force:bool=False, # re-process every notebook (else nbdev's cache decides)
         ) -> list:
    "Process the notebooks the nbdev way and render the site into `out`; returns the pages written, in sidebar order."
    os.chdir(ROOT); cfg = get_config()            # nbdev finds settings.ini from the working directory
    proc = proc_nbs(cfg.nbs_path, n_workers=0, force=force)
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    for f in proc.rglob('*'):                                # figures and results the pages link to
        if f.is_file() and f.suffix not in ('.ipynb', '.yml'):
            (out / f.relative_to(proc)).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(f, out / f.relative_to(proc))
    nbs = [(name, nbformat.read(proc / name, as_version=4)) for name in sidebar(cfg.nbs_path)]
    pages = [(page_name(name, front_matter(nb)), front_matter(nb), nb) for name, nb in nbs]
    footer = markdown_link(yaml.safe_load((cfg.nbs_path / '_quarto.yml').read_text())['website']['page-footer']['center'])
    exporter = HTMLExporter(template_name='basic', exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={'remove_input'}, enabled=True), enabled=True)
    for page, fm, nb in pages:
        body, _ = exporter.from_notebook_node(apply_quarto_options(nb))
        links = ''.join(f'<li class="{"active" if p == page else ""}"><a href="{p}">{html.escape(f.get("title", p))}</a></li>' for p, f, _ in pages)
        (out / page).write_text(PAGE.format(title=html.escape(fm.get('title', page)), description=html.escape(fm.get('description', '')),
                                            site=html.escape(cfg.title), links=links, body=body, footer=footer), encoding='utf-8')
    (out / 'preview.css').write_text(CSS)
    return [p for p, _, _ in pages]

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=str(ROOT / '_preview'), help='output folder (default: _preview)')
    ap.add_argument('--force', action='store_true', help='re-process every notebook')
    ap.add_argument('--serve', type=int, default=0, metavar='PORT', help='then serve the preview on 127.0.0.1:PORT')
    a = ap.parse_args(argv)
    pages = build(Path(a.out), a.force)
    print(f'{len(pages)} pages in {a.out}: ' + ', '.join(pages))
    if a.serve:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=a.out)
        print(f'serving on http://127.0.0.1:{a.serve}/'); http.server.ThreadingHTTPServer(('127.0.0.1', a.serve), handler).serve_forever()

if __name__ == '__main__': sys.exit(main())
