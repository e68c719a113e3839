"""The OpenMoji-64 benchmark: train for a fixed wall-clock budget, sample N images, report FID against all OpenMoji
glyphs at 64 px as rendered by the package (`load_openmoji`), and print a table.

    python scripts/bench_openmoji64.py --seconds 60 --preset tiny64 --batch-size 256 --compile      # one GPU
    python scripts/bench_openmoji64.py --seconds 600 --batch-size 32 --num-images 1000               # the CPU version

The samples are kept (`samples.npz`, uint8): with --no-fid a machine without the Inception weights trains and samples,
and `--score OUT` computes the FID of those samples elsewhere, adding it to OUT/result.json.
"""
import argparse, json, sys, time
import numpy as np
from pathlib import Path
import torch
from simple_diffusion.data import OpenMoji, to_uint8
from simple_diffusion.presets import get_preset, build_model
from simple_diffusion.schedules import get_schedule
from simple_diffusion.train import train, TrainConfig
from simple_diffusion.sampling import get_sampler
from simple_diffusion.fid import InceptionFeatures, reference_stats, fid_from_features
from simple_diffusion.data import image_grid
from simple_diffusion.experiments import machine

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--preset', default='tiny64'); p.add_argument('--seconds', type=float, default=60.)
    p.add_argument('--batch-size', type=int, default=128); p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--precision', default='bf16', choices=['fp32', 'bf16']); p.add_argument('--compile', action='store_true')
    p.add_argument('--weighting', default='sigmoid', choices=['none', 'sigmoid', 'min_snr'])
    p.add_argument('--num-images', type=int, default=1000); p.add_argument('--sample-steps', type=int, default=100)
    p.add_argument('--sampler', default='ancestral'); p.add_argument('--seed', type=int, default=0)
    p.add_argument('--workers', type=int, default=0, help='data-loading worker processes')
    p.add_argument('--out', default='runs/bench-openmoji64'); p.add_argument('--device', default=None)
    p.add_argument('--no-fid', action='store_true', help='train and sample only (keep samples.npz for --score)')
    p.add_argument('--score', metavar='OUT', help='compute the FID of OUT/samples.npz and add it to OUT/result.json')
    a = p.parse_args()
    if a.score: return score(Path(a.score), a.device or 'cpu')
    device = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    precision = a.precision
    cfg = get_preset(a.preset)
    if cfg.resolution != 64: sys.exit(f'preset {a.preset} is for {cfg.resolution} px; the benchmark is at 64 px')
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(a.seed)
    model = build_model(cfg)
    schedule = get_schedule('shifted', 64)
    tc = TrainConfig(steps=10**9, batch_size=a.batch_size, lr=a.lr, precision=precision, compile=a.compile, seed=a.seed,
                     max_seconds=a.seconds, num_workers=a.workers, log_every=50, warmup_steps=100, ema_decay=0.999, weighting=a.weighting)
    t0 = time.perf_counter()
    ema = train(model, OpenMoji(64), schedule, tc, device=device, show_progress=False)
    train_s = time.perf_counter() - t0
    steps = len(ema.losses)
    t1 = time.perf_counter()
    sampler, seeds = get_sampler(a.sampler), list(range(a.num_images))
    imgs = torch.cat([sampler(ema.model, seeds[i:i + 250], (3, 64, 64), schedule, a.sample_steps, device=device).cpu() for i in range(0, len(seeds), 250)])
    sample_s = time.perf_counter() - t1
    image_grid(imgs[:64], ncols=8).save(out / 'samples-64.png')
    np.savez_compressed(out / 'samples.npz', images=to_uint8(imgs))
    row = dict(device=machine(device), preset=a.preset, params_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 2), precision=precision,
               compile=a.compile, weighting=a.weighting, batch=a.batch_size, workers=a.workers, budget_s=a.seconds, train_s=round(train_s, 1), steps=steps, images_seen=steps * a.batch_size,
               img_per_s=round(steps * a.batch_size / train_s, 1), N=a.num_images, sampler=f'{a.sampler} {a.sample_steps} steps',
               sample_s=round(sample_s, 1))
    (out / 'result.json').write_text(json.dumps(row, indent=2))
    if not a.no_fid: return score(out, device)
    show(row); print(f'samples: {out / "samples.npz"}; FID: python scripts/bench_openmoji64.py --score {out}')

def score(out:Path, device:str):
    "FID of the samples in `out` against every OpenMoji glyph at 64 px; adds it to out/result.json."
    row = json.loads((out / 'result.json').read_text())
    with np.load(out / 'samples.npz') as f: imgs = f['images']
    feats = InceptionFeatures(device)
    t0 = time.perf_counter()
    ref = reference_stats('openmoji', 64, feats)          # the glyphs' statistics, cached after the first time
    fid = fid_from_features(feats(imgs), ref)
    row.update(reference=f"{int(ref['n'])} OpenMoji glyphs at 64 px", fid=round(fid, 1), fid_s=round(time.perf_counter() - t0, 1),
               fid_device=machine(device))
    (out / 'result.json').write_text(json.dumps(row, indent=2))
    show(row); print(f'grid of 64 samples: {out / "samples-64.png"}')

def show(row:dict):
    w = max(len(k) for k in row)
    print('\n'.join(f'{k:<{w}}  {v}' for k, v in row.items()))

if __name__ == '__main__': main()
