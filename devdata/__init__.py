"""Development data: the generators of the built-in sample and of the benchmark's landing zone.

Not part of the product (``plugins/verfak``): the pipeline never imports it, and its libraries
(Faker) are in requirements-dev.txt. ``python -m verfak sample-data`` and ``sample-returns``
import it lazily, so they run from a development checkout (the repository's root on the path:
pytest's ``pythonpath``, ``scripts/with-env.sh``'s ``PYTHONPATH``, the benchmark's stages).

- ``devdata.defects``: the nine kinds of defective rows, defined once (``DEFECT_RULES`` and
  ``make_defect``), planted by both generators;
- ``devdata.sample_data``: the reproducible May/June 2024 sample (Faker, 374 files);
- ``devdata.bench_data``: N rows, fast (numpy), written village by village;
- ``devdata.sample_returns``: the agencies' return files for the sample's 2024-06 exports.
"""
