# Config of the kernels started by ./course execute and ./course test (see ../README.md).
c = get_config()  # noqa: F821  (provided by IPython when it loads this file)
c.HistoryManager.enabled = False   # no history.sqlite here; parallel workers share this folder
