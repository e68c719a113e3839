"""Record the main job once: run `bash scripts/main_job.sh` (timed), score its EMA weights by FID (N = 1000 generated
images against all OpenMoji glyphs at 32 px), and write nbs/results/main_job.json (with the commands, commit and
machine) and its grid as nbs/images/main_job_grid.png, which the README and notebook 14 show. --name records a run on
another machine beside it (nbs/results/NAME.json, nbs/images/NAME_grid.png).

    python scripts/record_main_job.py --fid-steps 25
    python scripts/record_main_job.py --fid-steps 25 --name main_job_epyc
"""
import argparse, json, shutil, subprocess, sys, time
from pathlib import Path
from simple_diffusion.cli import fid_command
from simple_diffusion.experiments import machine, git_commit

ROOT = Path(__file__).resolve().parents[1]

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--fid-steps', type=int, required=True, help='sampler steps for the FID samples')
    p.add_argument('--num-images', type=int, default=1000, help='generated images for the FID')
    p.add_argument('--name', default='main_job', help='the record: nbs/results/NAME.json and nbs/images/NAME_grid.png')
    a = p.parse_args()
    commit = git_commit()
    runs = ROOT / 'runs'
    before = set(runs.iterdir()) if runs.exists() else set()
    t0 = time.perf_counter()
    subprocess.run(['bash', 'scripts/main_job.sh'], cwd=ROOT, check=True)
    job_s = time.perf_counter() - t0
    run, = set(runs.iterdir()) - before
    summary, config = (json.loads((run / f).read_text()) for f in ('summary.json', 'config.json'))
    guidance = config['options'].get('guidance', 1.)                  # sampled as the run's grid is: guided by its kept checkpoint
    interval = config['options'].get('guidance_interval')              # and only in its interval of log-SNR, if it has one
    fid_args = [str(run), '--num-images', str(a.num_images), '--steps', str(a.fid_steps), '--ref', 'openmoji'] + (['--guidance', f'{guidance:g}'] if guidance != 1 else [])
    if interval: fid_args += ['--guidance-interval', *(f'{x:g}' for x in interval)]
    t1 = time.perf_counter()
    score = fid_command(fid_args)
    fid_s = time.perf_counter() - t1
    record = dict(command='bash scripts/main_job.sh', fid_command='simple-diffusion fid RUN ' + ' '.join(fid_args[1:]), commit=commit,
                  device=machine('cpu'), job_s=round(job_s, 1), train_s=summary['train_s'], img_per_s=summary['img_per_s'],
                  steps=summary['steps_this_session'], images_seen=summary['steps_this_session'] * config['options']['batch_size'],
                  grid_sample_s=summary['sample_s'], fid=round(score, 2), n_fid=a.num_images, fid_sampler=f'ancestral, {a.fid_steps} steps'
                  + (f", guidance {guidance:g} away from the EMA of step {config['options']['guide_step']}" if guidance != 1 else '')
                  + (f', at log-SNR {interval[0]:g} to {interval[1]:g}' if interval else ''),
                  fid_s=round(fid_s, 1), reference='openmoji: 1860 images at 32 px', options=config['options'])
    (ROOT / 'nbs' / 'results' / f'{a.name}.json').write_text(json.dumps(record, indent=1))
    shutil.copyfile(run / 'samples.png', ROOT / 'nbs' / 'images' / f'{a.name}_grid.png')
    print(json.dumps({k: v for k, v in record.items() if k != 'options'}, indent=1))

if __name__ == '__main__': main()
