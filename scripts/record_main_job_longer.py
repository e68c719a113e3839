"""How far does more training time take the main job? Train its recipe (`bash scripts/main_job.sh`) for several times its
2,800 steps with no time cap, keep the checkpoints at every multiple of 2,800 steps, and score the EMA weights of each
as the main job is scored: FID with N = 1000 generated images (25 ancestral steps, guidance 3 away from the EMA of step
500, at log-SNR -3.4 to 5) against all OpenMoji glyphs at 32 px. Writes nbs/results/main_job_longer.json (commands,
commit, machine, and per checkpoint: steps, images, training seconds, FID) and one grid of 64 samples per checkpoint,
drawn as the main job's grid is, nbs/images/main_job_longer_<steps>.png, which notebook 14 shows.

    python scripts/record_main_job_longer.py --times 4 --fid-steps 25
    python scripts/record_main_job_longer.py --times 4 --fid-steps 25 --run runs/RUN   # score a run trained before
"""
import argparse, json, subprocess
from pathlib import Path
from simple_diffusion.cli import fid_command, sample_command
from simple_diffusion.experiments import machine, git_commit

ROOT = Path(__file__).resolve().parents[1]
MAIN_STEPS = 2800                                                       # the main job's steps (scripts/main_job.sh)

def training_seconds(metrics:list, # the run's metrics.jsonl records
                     step:int, # up to this step
                     batch_size:int, # images per step
                    ) -> float:
    "Seconds of training up to `step`: each logged interval's images over its img/s (checkpoints and grids not counted)."
    total, last = 0., 0
    for r in metrics:
        if r['step'] > step: break
        total += (r['step'] - last) * batch_size / r['img_per_s']
        last = r['step']
    if last != step: raise ValueError(f'step {step} is not a logged step of the run (the last logged one before it: {last})')
    return total

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--times', type=int, default=4, help="train for this many times the main job's 2,800 steps")
    p.add_argument('--fid-steps', type=int, required=True, help='sampler steps for the FID samples')
    p.add_argument('--num-images', type=int, default=1000, help='generated images for each FID')
    p.add_argument('--run', default=None, help='score the kept checkpoints of a run this script trained before, instead of training one')
    a = p.parse_args()
    if a.times < 2: raise SystemExit(f'--times must be at least 2, got {a.times}')
    commit = git_commit()
    steps = MAIN_STEPS * a.times
    train_args = ['--steps', str(steps), '--max-seconds', '0', '--ckpt-every', str(MAIN_STEPS), '--keep-ckpts', str(a.times),
                  '--sample-every', str(MAIN_STEPS)]
    if a.run: run = Path(a.run).resolve()
    else:
        runs = ROOT / 'runs'
        before = set(runs.iterdir()) if runs.exists() else set()
        subprocess.run(['bash', 'scripts/main_job.sh', *train_args], cwd=ROOT, check=True)
        run, = set(runs.iterdir()) - before
    config = json.loads((run / 'config.json').read_text())
    opts = config['options']
    if opts['steps'] != steps: raise SystemExit(f"{run} trained {opts['steps']} steps, not the {steps} of --times {a.times}")
    metrics = [json.loads(l) for l in (run / 'metrics.jsonl').read_text().splitlines()]
    guide_opts = ['--guide', str(run), '--guidance', f"{opts['guidance']:g}",                # as the main job samples: away from
                  '--guidance-interval', *(f'{x:g}' for x in opts['guidance_interval'])]   # its step-500 EMA, in the interval
    fid_opts = ['--num-images', str(a.num_images), '--steps', str(a.fid_steps), '--ref', 'openmoji', *guide_opts]
    grid_opts = ['--num-images', str(opts['num_samples']), '--steps', str(opts['sample_steps']), *guide_opts]
    kept = [s for s in range(MAIN_STEPS, steps + 1, MAIN_STEPS) if (run / 'checkpoints' / f'ckpt-{s:08d}.pt').exists()]
    if len(kept) < a.times: print(f'scoring the checkpoints kept: steps {kept}', flush=True)
    points = []
    for s in kept:
        ckpt = str(run / 'checkpoints' / f'ckpt-{s:08d}.pt')
        score = fid_command([ckpt, *fid_opts])
        grid = f'main_job_longer_{s}.png'                                 # 64 samples drawn as the main job's grid is
        sample_command([ckpt, *grid_opts, '--out', str(ROOT / 'nbs' / 'images' / grid)])
        points.append(dict(steps=s, images_seen=s * opts['batch_size'], train_s=round(training_seconds(metrics, s, opts['batch_size']), 1),
                           fid=round(score, 2), grid=grid))
    record = dict(command='bash scripts/main_job.sh ' + ' '.join(train_args),
                  fid_command='simple-diffusion fid RUN/checkpoints/ckpt-STEP.pt ' + ' '.join(fid_opts).replace(str(run), 'RUN'),
                  grid_command='simple-diffusion sample RUN/checkpoints/ckpt-STEP.pt ' + ' '.join(grid_opts).replace(str(run), 'RUN'),
                  script=f'python scripts/record_main_job_longer.py --times {a.times} --fid-steps {a.fid_steps}', commit=commit,
                  device=machine('cpu'), n_fid=a.num_images, reference='openmoji: 1860 images at 32 px', points=points, options=opts)
    (ROOT / 'nbs' / 'results' / 'main_job_longer.json').write_text(json.dumps(record, indent=1))
    print(json.dumps({k: v for k, v in record.items() if k != 'options'}, indent=1))

if __name__ == '__main__': main()
