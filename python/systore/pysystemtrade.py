"""pysystemtrade's data classes on systore.

pysystemtrade (GPL, not on PyPI) must be importable (its package root on sys.path);
this module is imported only by those who use it, never by systore itself.

    from systore.pysystemtrade import systoreFuturesSimData
    data = systoreFuturesSimData("systore-data")     # a futuresSimData for backtests
    system = futures_system(data=data, config=config)

Datasets: prices/adjusted (column price), prices/multiple (PRICE, CARRY, FORWARD and
their _CONTRACT columns), fx/spot (PRICE), as `systore ingest pysystemtrade` fills them;
reference tables instruments, roll_config, spread_costs.
"""
from __future__ import annotations

import io

import pandas as pd

from syscore.constants import arg_not_supplied
from sysdata.csv.csv_instrument_data import csvFuturesInstrumentData
from sysdata.csv.csv_roll_parameters import csvRollParametersData
from sysdata.csv.csv_spread_costs import csvSpreadCostData
from sysdata.data_blob import dataBlob
from sysdata.futures.adjusted_prices import futuresAdjustedPricesData
from sysdata.futures.instruments import futuresInstrumentData
from sysdata.futures.multiple_prices import futuresMultiplePricesData
from sysdata.futures.rolls_parameters import rollParametersData
from sysdata.futures.spread_costs import spreadCostData
from sysdata.fx.spotfx import fxPricesData
from sysdata.sim.futures_sim_data_with_data_blob import genericBlobUsingFuturesSimData
from sysobjects.adjusted_prices import futuresAdjustedPrices
from sysobjects.multiple_prices import futuresMultiplePrices
from sysobjects.spot_fx_prices import fxPrices
from syslogging.logger import get_logger

import systore
from systore import NotFound

ADJUSTED = "prices/adjusted"
MULTIPLE = "prices/multiple"
FX = "fx/spot"


def _store(store_or_root) -> systore.Store:
    return store_or_root if isinstance(store_or_root, systore.Store) else systore.open(str(store_or_root))


def _frame_for_write(obj) -> pd.DataFrame:
    df = obj.to_frame() if isinstance(obj, pd.Series) else pd.DataFrame(obj)
    df.index = pd.DatetimeIndex(df.index)
    return df


class _SeriesDataset:
    """One systore dataset behind a pysystemtrade storage class: keys, reads, deletes."""
    _dataset = ""

    def __init__(self, store, log):
        super().__init__(log=log)
        self._st = _store(store)

    def __repr__(self):
        return f"{type(self).__name__}({self._st.root})"

    def _keys(self) -> list:
        try:
            return self._st.timeseries.list_keys(self._dataset)
        except NotFound:
            return []

    def _read(self, key: str):
        """The stored frame, or None when the series does not exist."""
        try:
            return self._st.timeseries.read(self._dataset, key)
        except NotFound:
            return None

    def _delete(self, key: str):
        self._st.timeseries.delete(self._dataset, key)

    def _write(self, key: str, frame):
        self._st.timeseries.write(self._dataset, key, _frame_for_write(frame))


class systoreFuturesAdjustedPricesData(_SeriesDataset, futuresAdjustedPricesData):
    """Back-adjusted prices in dataset prices/adjusted (one series per instrument)."""
    _dataset = ADJUSTED

    def __init__(self, store, log=get_logger("systoreFuturesAdjustedPricesData")):
        super().__init__(store, log)

    def get_list_of_instruments(self) -> list:
        return self._keys()

    def _get_adjusted_prices_without_checking(self, instrument_code: str) -> futuresAdjustedPrices:
        df = self._read(instrument_code)
        return futuresAdjustedPrices.create_empty() if df is None else futuresAdjustedPrices(pd.Series(df.iloc[:, 0]))

    def _delete_adjusted_prices_without_any_warning_be_careful(self, instrument_code: str):
        self._delete(instrument_code)

    def _add_adjusted_prices_without_checking_for_existing_entry(self, instrument_code: str, adjusted_price_data):
        self._write(instrument_code, pd.DataFrame({"price": pd.Series(adjusted_price_data).astype("float64")}))


class systoreFuturesMultiplePricesData(_SeriesDataset, futuresMultiplePricesData):
    """Multiple prices in dataset prices/multiple (contract columns as 'yyyymmdd' text)."""
    _dataset = MULTIPLE

    def __init__(self, store, log=get_logger("systoreFuturesMultiplePricesData")):
        super().__init__(store, log)

    def get_list_of_instruments(self) -> list:
        return self._keys()

    def _get_multiple_prices_without_checking(self, instrument_code: str) -> futuresMultiplePrices:
        df = self._read(instrument_code)
        return futuresMultiplePrices.create_empty() if df is None else futuresMultiplePrices(df)

    def _delete_multiple_prices_without_any_warning_be_careful(self, instrument_code: str):
        self._delete(instrument_code)

    def _add_multiple_prices_without_checking_for_existing_entry(self, instrument_code: str, multiple_price_data):
        self._write(instrument_code, multiple_price_data)


class systoreFxPricesData(_SeriesDataset, fxPricesData):
    """Spot FX in dataset fx/spot (column PRICE), e.g. key GBPUSD."""
    _dataset = FX

    def __init__(self, store, log=get_logger("systoreFxPricesData")):
        super().__init__(store, log)

    def get_list_of_fxcodes(self) -> list:
        return self._keys()

    def _get_fx_prices_without_checking(self, code: str) -> fxPrices:
        df = self._read(code)
        return fxPrices.create_empty() if df is None else fxPrices(pd.Series(df["PRICE"]).sort_index())

    def _delete_fx_prices_without_any_warning_be_careful(self, code: str):
        self._delete(code)

    def _add_fx_prices_without_checking_for_existing_entry(self, code: str, fx_price_data):
        self._write(code, pd.DataFrame({"PRICE": pd.Series(fx_price_data).astype("float64")}))


class _ReferenceCsv:
    """pysystemtrade's csv classes read `config_file` with pandas.read_csv: hand them the
    reference table's current version as a file object, so parsing is theirs exactly."""
    _table = ""

    def _init_reference(self, store):
        self._st = _store(store)

    @property
    def config_file(self):
        return io.StringIO(self._st.reference.csv_text(self._table))

    @property
    def _config_file(self):
        return self.config_file


class systoreFuturesInstrumentData(_ReferenceCsv, csvFuturesInstrumentData):
    """Instrument metadata from the reference table `instruments` (read only)."""
    _table = "instruments"

    def __init__(self, store, log=get_logger("systoreFuturesInstrumentData")):
        futuresInstrumentData.__init__(self, log=log)
        self._init_reference(store)

    def __repr__(self):
        return f"systoreFuturesInstrumentData({self._st.root})"


class systoreRollParametersData(_ReferenceCsv, csvRollParametersData):
    """Roll parameters from the reference table `roll_config` (read only)."""
    _table = "roll_config"

    def __init__(self, store, log=get_logger("systoreRollParametersData")):
        rollParametersData.__init__(self, log=log)
        self._init_reference(store)

    def __repr__(self):
        return f"systoreRollParametersData({self._st.root})"


class systoreSpreadCostData(_ReferenceCsv, csvSpreadCostData):
    """Spread costs from the reference table `spread_costs` (read only)."""
    _table = "spread_costs"

    def __init__(self, store, log=get_logger("systoreSpreadCostData")):
        spreadCostData.__init__(self, log=log)
        self._init_reference(store)

    def __repr__(self):
        return f"systoreSpreadCostData({self._st.root})"


STORAGE_CLASSES = [systoreFuturesAdjustedPricesData, systoreFuturesMultiplePricesData, systoreFxPricesData,
                   systoreFuturesInstrumentData, systoreRollParametersData, systoreSpreadCostData]


class systoreDataBlob(dataBlob):
    """A pysystemtrade dataBlob that also takes systore storage classes, under
    pysystemtrade's attribute names (systoreFuturesAdjustedPricesData ->
    blob.db_futures_adjusted_prices), beside its own ib/csv/mongo/... classes.

        blob = systoreDataBlob("systore-data", class_list=STORAGE_CLASSES)
        blob.db_futures_adjusted_prices.get_adjusted_prices("SOFR")
    """

    def __init__(self, store, class_list=arg_not_supplied, **kwargs):
        self._systore = _store(store)
        super().__init__(class_list=class_list, **kwargs)

    def _get_class_adding_method(self, class_object):
        if self._get_class_prefix(class_object) == "systore":
            return self._add_systore_class
        return super()._get_class_adding_method(class_object)

    def _get_new_name(self, class_name: str, use_prefix=arg_not_supplied) -> str:
        if class_name.startswith("systore"):
            use_prefix = "db"  # as pysystemtrade names its database classes
        return super()._get_new_name(class_name, use_prefix=use_prefix)

    def _add_systore_class(self, class_object):
        return class_object(self._systore, log=self._get_specific_logger(class_object))


class systoreFuturesSimData(genericBlobUsingFuturesSimData):
    """A futuresSimData over a systore root (or systore.Store): a drop-in for
    csvFuturesSimData / dbFuturesSimData in backtests."""

    def __init__(self, store_or_root="systore-data", log=get_logger("systoreFuturesSimData")):
        blob = systoreDataBlob(store_or_root, class_list=STORAGE_CLASSES, log=log)
        super().__init__(data=blob)

    def __repr__(self):
        return "systoreFuturesSimData object with %d instruments" % len(self.get_instrument_list())
