"""Run a named experiment (simple_diffusion.experiments.EXPERIMENTS) and record it in nbs/results/<name>.json, with a
grid per run in nbs/results/<name>/, then print its table. An interrupted experiment continues where it stopped.

    python scripts/experiment.py precision
"""
import argparse, sys
from pathlib import Path
from simple_diffusion.experiments import EXPERIMENTS, run_experiment, results_table

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('name', choices=list(EXPERIMENTS), help='the experiment')
    p.add_argument('--results', default=str(Path(__file__).resolve().parents[1] / 'nbs' / 'results'), help='folder of results files')
    p.add_argument('--device', default='cpu', help='torch device')
    a = p.parse_args()
    record = run_experiment(EXPERIMENTS[a.name], a.results, device=a.device, command='python scripts/experiment.py ' + ' '.join(sys.argv[1:]))
    print(results_table(record))

if __name__ == '__main__': main()
