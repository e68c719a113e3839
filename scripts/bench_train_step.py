"""Training-step benchmark: for each preset, batch and setting (precision, eager or compiled, channels-last, threads),
the parameters, the training FLOPs per image (counted by PyTorch's FlopCounterMode), images per second of a full step
as the trainer takes it (notebook 09's `micro_batch_loss` and `optimizer_step`: per-image noise, forward, backward,
gradient clipping, AdamW, EMA), the achieved TFLOP/s, the MFU against a bf16 matrix product measured in the same run,
the peak memory on a GPU and, with --max-batch, the largest batch that fits on the GPU. Prints a markdown table and
writes it as JSON. --profile N prints torch.profiler's table of the first row's N steps.

    python scripts/bench_train_step.py --presets tiny32 --batch 32 --settings fp32 bf16 bf16+cl bf16+compile bf16+t1
    python scripts/bench_train_step.py --presets uvit256 unet256 --batch 64 --settings bf16 bf16+compile --device cuda --max-batch
    python scripts/bench_train_step.py --presets tiny32 --batch 512 --settings bf16 --profile 3

A setting is a precision (fp32 or bf16) with optional +compile, +cl (channels-last) and +tN (N threads, CPU only).
"""
import argparse, gc, json, time
from pathlib import Path
import torch
from simple_diffusion.presets import get_preset, build_model
from simple_diffusion.schedules import get_schedule
from simple_diffusion.train import TrainConfig, start_or_resume, micro_batch_loss, optimizer_step
from simple_diffusion.experiments import train_step_flops, machine, git_commit

def parse_setting(s:str) -> dict:
    "'bf16+compile+cl+t1' -> its parts; unknown parts are refused."
    parts = s.split('+')
    if parts[0] not in ('fp32', 'bf16'): raise SystemExit(f'setting {s!r} must start with fp32 or bf16')
    out = dict(precision=parts[0], compile=False, channels_last=False, threads=None)
    for p in parts[1:]:
        if p == 'compile': out['compile'] = True
        elif p == 'cl': out['channels_last'] = True
        elif p[:1] == 't' and p[1:].isdigit(): out['threads'] = int(p[1:])
        else: raise SystemExit(f'unknown part {p!r} in setting {s!r} (compile, cl, tN)')
    return out

def sync(device):
    if torch.device(device).type == 'cuda': torch.cuda.synchronize()

def matmul_side(device) -> int:
    "Side of the square matrices of the peak measurement: 8192 on a GPU, 2048 on the CPU."
    return 8192 if torch.device(device).type == 'cuda' else 2048

def matmul_tflops(device, dtype, seconds=2.) -> float:
    "Achieved TFLOP/s of a square matrix product (`matmul_side`) in `dtype`."
    n = matmul_side(device)
    a, b = (torch.randn(n, n, device=device, dtype=dtype) for _ in range(2))
    for _ in range(3): a @ b
    sync(device); t0, k = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds: a @ b; k += 1
    sync(device)
    return 2 * n ** 3 * k / (time.perf_counter() - t0) / 1e12

def make_step(preset, batch, setting, device):
    "(model, step function, resolution) of a training step of `preset` at `batch` under `setting`, as the trainer takes it."
    cfg = get_preset(preset); d = cfg.resolution
    torch.manual_seed(0)
    with torch.device(device): model = build_model(cfg)   # built where it runs: a 1.3B model initialised on the CPU takes seconds
    fmt = torch.channels_last if setting['channels_last'] else torch.contiguous_format
    model = model.to(memory_format=fmt)
    tc = TrainConfig(lr=1e-4, warmup_steps=0, batch_size=batch, precision=setting['precision'])
    opt, ema, _ = start_or_resume(model, tc, device=device, verbose=False)
    net = torch.compile(model) if setting['compile'] else model
    schedule = get_schedule('shifted', d)
    x = (torch.rand(batch, 3, d, d, device=device) * 2 - 1).contiguous(memory_format=fmt)
    cast = torch.autocast(torch.device(device).type, dtype=torch.bfloat16, enabled=setting['precision'] == 'bf16')
    k = [0]
    def step():
        opt.zero_grad(set_to_none=True)
        with cast: loss = micro_batch_loss(net, x, None, schedule, tc, k[0], range(batch))
        loss.backward()
        optimizer_step(model, opt, ema, tc, k[0], loss.detach()); k[0] += 1
    return model, step, d

def fits(preset, batch, setting, device) -> bool:
    "Whether a training step of `preset` at `batch` runs on the GPU without running out of memory."
    step = None
    try:
        step = make_step(preset, batch, setting, device)[1]; step(); sync(device); return True
    except torch.cuda.OutOfMemoryError: return False
    finally:   # free this try's model and optimizer before the next one is built
        step = None; gc.collect(); torch.cuda.empty_cache()

def largest_batch(preset, batch, setting, device, limit=8192) -> int:
    "The largest batch that fits, to within 1/8: doubling from `batch`, then halving the interval."
    lo, hi = 0, None
    while batch <= limit:
        if fits(preset, batch, setting, device): lo, batch = batch, batch * 2
        else: hi = batch; break
    while hi is not None and hi - lo > max(lo // 8, 1):
        mid = (lo + hi) // 2
        if fits(preset, mid, setting, device): lo = mid
        else: hi = mid
    return lo or None

def bench(preset, batch, setting, device, seconds, warmup, profile=0):
    "Images per second of full training steps of `preset` at `batch` under `setting`."
    model, step, d = make_step(preset, batch, setting, device)
    flops = train_step_flops(model, get_schedule('shifted', d), batch, d)
    if torch.device(device).type == 'cuda': torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(warmup): step()
    sync(device); first_s = time.perf_counter() - t0
    if profile:
        from torch.profiler import profile as prof, ProfilerActivity
        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if torch.device(device).type == 'cuda' else [])
        with prof(activities=acts) as p:
            for _ in range(profile): step()
            sync(device)
        key = 'self_cuda_time_total' if torch.device(device).type == 'cuda' else 'self_cpu_time_total'
        print(f'profile of {profile} steps of {preset} at batch {batch}, {setting}:')
        print(p.key_averages().table(sort_by=key, row_limit=20), flush=True)
    t0, k = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds or k < 3: step(); k += 1
    sync(device); dt = (time.perf_counter() - t0) / k
    peak = torch.cuda.max_memory_allocated() / 2**30 if torch.device(device).type == 'cuda' else None
    return dict(params_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 2), gflop_per_img=round(flops / batch / 1e9, 2),
                img_per_s=round(batch / dt, 1), tflops=round(flops / dt / 1e12, 3), warmup_s=round(first_s, 1), steps_timed=k,
                peak_gib=round(peak, 2) if peak is not None else None)

def write_table(path, device, peak, commit, rows):
    Path(path).write_text(json.dumps(dict(device=machine(device), matmul_bf16_tflops=round(peak, 3), commit=commit, rows=rows), indent=1))

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--presets', nargs='+', default=['tiny32'], help='presets to measure')
    p.add_argument('--batch', type=int, nargs='+', default=[32], help='batch sizes')
    p.add_argument('--settings', nargs='+', default=['fp32', 'bf16'], help='settings, e.g. bf16+compile+cl+t1')
    p.add_argument('--seconds', type=float, default=10., help='timed seconds per row (after the warm-up steps)')
    p.add_argument('--warmup', type=int, default=3, help='untimed steps first (compilation happens here)')
    p.add_argument('--device', default='cpu')
    p.add_argument('--out', default=None, help='JSON file for the table')
    p.add_argument('--max-batch', action='store_true', help='GPU, eager rows: also find the largest batch that fits (doubling from --batch)')
    p.add_argument('--profile', type=int, default=0, help='print torch.profiler\'s table of this many steps of the first row')
    a = p.parse_args()
    commit = git_commit()   # before the table is written: a table inside the repository would mark it changed
    threads0 = torch.get_num_threads()
    peak = matmul_tflops(a.device, torch.bfloat16)
    rows = []
    for preset in a.presets:
        for batch in a.batch:
            for s in a.settings:
                setting = parse_setting(s)
                torch.set_num_threads(setting['threads'] or threads0)
                try: r = bench(preset, batch, setting, a.device, a.seconds, a.warmup, a.profile if not rows else 0)
                except torch.cuda.OutOfMemoryError:   # recorded as a row: this batch does not fit
                    r = dict.fromkeys(['params_m', 'gflop_per_img', 'img_per_s', 'tflops', 'warmup_s', 'steps_timed']); r['peak_gib'] = 'out of memory'
                gc.collect()
                if torch.device(a.device).type == 'cuda': torch.cuda.empty_cache()
                search = a.max_batch and torch.device(a.device).type == 'cuda' and not setting['compile']   # compiled: one compilation per batch
                largest = largest_batch(preset, batch // 2 if r['tflops'] is None else batch, setting, a.device) if search else None
                torch.set_num_threads(threads0)
                mfu = None if r['tflops'] is None else round(r['tflops'] / peak, 3)
                rows.append(dict(preset=preset, batch=batch, setting=s, **r, mfu=mfu, max_batch=largest))
                print(rows[-1], flush=True)
                if a.out: write_table(a.out, a.device, peak, commit, rows)   # after every row: a run stopped early keeps what it measured
    head = ['preset', 'batch', 'setting', 'params_m', 'gflop_per_img', 'img_per_s', 'tflops', 'mfu', 'warmup_s', 'peak_gib', 'max_batch']
    n = matmul_side(a.device)
    print(f"\n{machine(a.device)}; bf16 {n}x{n} matmul: {peak:.3f} TFLOP/s; commit {commit}\n")
    print('| ' + ' | '.join(head) + ' |\n|' + '---|' * len(head))
    for r in rows: print('| ' + ' | '.join('-' if r[h] is None else str(r[h]) for h in head) + ' |')

if __name__ == '__main__': main()
