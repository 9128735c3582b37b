# Sourced by every ./course command that executes notebooks or runs tests, so that the
# stored outputs and the regression test see the same environment whatever the outer
# shell sets. Each line says what it keeps stable (see docs/testing.md).
export OMP_NUM_THREADS=1              # training results change with the thread count
export MKL_NUM_THREADS=1              # ... in MKL-backed ops too
export OPENBLAS_NUM_THREADS=1         # ... and in NumPy/SciPy linear algebra
export ATEN_CPU_CAPABILITY=avx2       # the same vector kernels on any x86 CPU
export ONEDNN_MAX_CPU_ISA=AVX2        # ... for oneDNN convolutions too
export PYTHONHASHSEED=0               # printing a set depends on string hashing
export PLOTLY_RENDERER=plotly_mimetype  # small plotly outputs, independent of where saved
unset MPLBACKEND                      # Agg here would make plt.show() store nothing
export COURSE_DEVICE=cpu              # stored outputs were computed on the CPU
export COURSE_PROGRESS=0              # progress bars are left out of stored outputs
export PYDEVD_DISABLE_FILE_VALIDATION=1  # debugger warning the kernel prints on start
export JUPYTER_PLATFORM_DIRS=1        # jupyter_core's platformdirs migration warning
export PYTHONWARNINGS=ignore::DeprecationWarning  # library deprecations vary by version
export NO_ALBUMENTATIONS_UPDATE=1     # no version check against PyPI when imported (offline)
export IPYTHONDIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/ipython"  # figure text guard (scripts/ipython/README.md)
