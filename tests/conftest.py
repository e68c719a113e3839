import os, tempfile
# Tests render OpenMoji into a private cache, so they never depend on (or pollute) the user's cache.
os.environ.setdefault('SIMPLE_DIFFUSION_CACHE', tempfile.mkdtemp(prefix='simple_diffusion-test-cache-'))
os.environ.setdefault('MPLBACKEND', 'Agg')
