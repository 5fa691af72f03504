"""The stack layer: a `Pulumi.<stack>.yaml` read and validated into plain models.

`config.py` holds the models (`StackConfig`, `RegionConfig`, and every per-area model from
`models_*.py`), `cross_region.py` the rules across regions, `loading.py` the reading (the
strict YAML loader, the engine's config map) and `errors.py` how problems are reported.
`data_args.py` adapts the network and data-store models to the components' plain settings and
Args (`VpcSettings`/`VpcArgs`, `PostgresSettings`/`ManagedPostgresArgs`,
`RedisSettings`/`RedisClusterArgs`).
What each environment requires is `eksplatform/environments.py`.
"""
