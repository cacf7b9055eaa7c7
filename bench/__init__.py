"""WebBridge benchmarks (see ``bench/README.md``). Run them as modules: ``python -m bench.bridge``."""
