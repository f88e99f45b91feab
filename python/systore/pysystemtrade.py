"""pysystemtrade's data classes on systore.

pysystemtrade (GPL, not on PyPI) must be importable (its package root on sys.path);
this module is imported only by those who use it, never by systore itself.

    from systore.pysystemtrade import systoreFuturesSimData
    data = systoreFuturesSimData("systore-data")     # a futuresSimData for backtests
    system = futures_system(data=data, config=config)

    blob = make_blob("systore-data")                 # a dataBlob with every class below
    blob.db_futures_contract_price.get_prices_at_frequency_for_contract_object(
        futuresContract("SOFR", "20240300"), frequency=DAILY_PRICE_FREQ)

Datasets: prices/adjusted (column price), prices/multiple (PRICE, CARRY, FORWARD and
their _CONTRACT columns), fx/spot (PRICE), prices/contract_daily and
prices/contract_hourly (OPEN HIGH LOW FINAL VOLUME; key instrument/contract date, e.g.
SOFR/20240300), as `systore ingest pysystemtrade` fills them, and
prices/contract_merged (pysystemtrade's merged "mixed frequency" series, which it stores
apart from the daily and hourly ones); reference tables instruments, roll_config,
spread_costs.
"""
from __future__ import annotations

import io

import pandas as pd

from syscore.constants import arg_not_supplied
from syscore.dateutils import DAILY_PRICE_FREQ, HOURLY_FREQ, MIXED_FREQ, Frequency
from sysdata.csv.csv_instrument_data import csvFuturesInstrumentData
from sysdata.csv.csv_roll_parameters import csvRollParametersData
from sysdata.csv.csv_spread_costs import csvSpreadCostData
from sysdata.data_blob import dataBlob
from sysdata.futures.adjusted_prices import futuresAdjustedPricesData
from sysdata.futures.futures_per_contract_prices import futuresContractPriceData
from sysdata.futures.instruments import futuresInstrumentData
from sysdata.futures.multiple_prices import futuresMultiplePricesData
from sysdata.futures.rolls_parameters import rollParametersData
from sysdata.futures.spread_costs import spreadCostData
from sysdata.fx.spotfx import fxPricesData
from sysdata.sim.futures_sim_data_with_data_blob import genericBlobUsingFuturesSimData
from sysobjects.adjusted_prices import futuresAdjustedPrices
from sysobjects.contracts import futuresContract, listOfFuturesContracts
from sysobjects.futures_per_contract_prices import PRICE_DATA_COLUMNS, futuresContractPrices
from sysobjects.multiple_prices import futuresMultiplePrices
from sysobjects.spot_fx_prices import fxPrices
from syslogging.logger import get_logger

import systore
from systore import NotFound

ADJUSTED = "prices/adjusted"
MULTIPLE = "prices/multiple"
FX = "fx/spot"
CONTRACT_DAILY = "prices/contract_daily"
CONTRACT_HOURLY = "prices/contract_hourly"
CONTRACT_MERGED = "prices/contract_merged"
_CONTRACT_DATASETS = {DAILY_PRICE_FREQ: CONTRACT_DAILY, HOURLY_FREQ: CONTRACT_HOURLY, MIXED_FREQ: CONTRACT_MERGED}
# The order pysystemtrade's files have; the store keeps FINAL as CLOSE (its OHLCV schema).
_CONTRACT_COLUMNS = ["OPEN", "HIGH", "LOW", "FINAL", "VOLUME"]


def _store(store_or_root) -> systore.Store:
    return store_or_root if isinstance(store_or_root, systore.Store) else systore.open(str(store_or_root))


def _frame_for_write(obj) -> pd.DataFrame:
    df = obj.to_frame() if isinstance(obj, pd.Series) else pd.DataFrame(obj)
    df.index = pd.DatetimeIndex(df.index)
    return df


class _SeriesDataset:
    """One systore dataset behind a pysystemtrade storage class: keys, reads, deletes
    (`dataset` overrides the class's one, for classes spread over several)."""
    _dataset = ""

    def __init__(self, store, log):
        super().__init__(log=log)
        self._st = _store(store)

    def __repr__(self):
        return f"{type(self).__name__}({self._st.root})"

    def _keys(self, dataset=None, prefix="") -> list:
        try:
            return self._st.timeseries.list_keys(dataset or self._dataset, prefix=prefix)
        except NotFound:
            return []

    def _has(self, key: str, dataset=None) -> bool:
        return key in self._keys(dataset, prefix=key)

    def _read(self, key: str, dataset=None):
        """The stored frame, or None when the series does not exist."""
        try:
            return self._st.timeseries.read(dataset or self._dataset, key)
        except NotFound:
            return None

    def _delete(self, key: str, dataset=None):
        self._st.timeseries.delete(dataset or self._dataset, key)

    def _write(self, key: str, frame, dataset=None):
        """Replaces the series. The store holds no empty series: writing no rows removes
        the series (reads then give pysystemtrade's empty object, as before the write)."""
        df = _frame_for_write(frame)
        if len(df) == 0:
            if self._has(key, dataset):
                self._delete(key, dataset)
            return
        self._st.timeseries.write(dataset or self._dataset, key, df)


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


def contract_dataset(frequency: Frequency) -> str:
    """The dataset of per-contract prices at a pysystemtrade Frequency: Day ->
    prices/contract_daily, Hour -> prices/contract_hourly, Mixed (merged) ->
    prices/contract_merged, any other -> prices/contract_<name>, e.g. prices/contract_minutes_5."""
    return _CONTRACT_DATASETS.get(frequency) or "prices/contract_" + frequency.name.lower()


def contract_key(contract: futuresContract) -> str:
    """The series key of a contract: instrument/contract date, e.g. SOFR/20240300 (as
    `systore ingest pysystemtrade` names SOFR_20240300.csv)."""
    return f"{contract.instrument_code}/{contract.date_str}"


def contract_from_key(key: str) -> futuresContract:
    instrument_code, date_str = key.rsplit("/", 1)
    return futuresContract(instrument_code, date_str)


class systoreFuturesContractPriceData(_SeriesDataset, futuresContractPriceData):
    """Per-contract prices (OPEN HIGH LOW FINAL VOLUME), one dataset per frequency
    (contract_dataset): daily and hourly as `systore ingest pysystemtrade` fills them, and
    the merged series that pysystemtrade stores apart from those (MIXED_FREQ) in
    prices/contract_merged. Keys: SOFR/20240300. pysystemtrade's base class adds the
    rest (duplication checks, update_prices_at_frequency_for_contract with its spike
    check, deletes that need areyousure=True)."""

    def __init__(self, store, log=get_logger("systoreFuturesContractPriceData")):
        super().__init__(store, log)

    def _contracts(self, frequency: Frequency) -> listOfFuturesContracts:
        contracts = []
        for key in self._keys(contract_dataset(frequency)):
            try:
                contracts.append(contract_from_key(key))
            except Exception:  # noqa: BLE001 - pysystemtrade raises a bare Exception on a bad date
                self.log.warning("Series %s in %s is not instrument/contract date: skipped"
                                 % (key, contract_dataset(frequency)))
        return listOfFuturesContracts(contracts)

    def get_contracts_with_merged_price_data(self) -> listOfFuturesContracts:
        return self._contracts(MIXED_FREQ)

    def get_contracts_with_price_data_for_frequency(self, frequency: Frequency) -> listOfFuturesContracts:
        return self._contracts(frequency)

    def has_merged_price_data_for_contract(self, contract_object: futuresContract) -> bool:
        return self.has_price_data_for_contract_at_frequency(contract_object, frequency=MIXED_FREQ)

    def has_price_data_for_contract_at_frequency(self, contract_object: futuresContract,
                                                 frequency: Frequency) -> bool:
        return self._has(contract_key(contract_object), contract_dataset(frequency))

    def _get_merged_prices_for_contract_object_no_checking(self, contract_object: futuresContract):
        return self._get_prices_at_frequency_for_contract_object_no_checking(contract_object, MIXED_FREQ)

    def _get_prices_at_frequency_for_contract_object_no_checking(
            self, futures_contract_object: futuresContract, frequency: Frequency) -> futuresContractPrices:
        df = self._read(contract_key(futures_contract_object), contract_dataset(frequency))
        if df is None:
            return futuresContractPrices.create_empty()
        df = df.rename(columns={"CLOSE": "FINAL"})
        return futuresContractPrices(df[[c for c in _CONTRACT_COLUMNS if c in df.columns]])

    def _write_merged_prices_for_contract_object_no_checking(self, futures_contract_object: futuresContract,
                                                             futures_price_data: futuresContractPrices):
        self._write_prices_at_frequency_for_contract_object_no_checking(
            futures_contract_object, futures_price_data, frequency=MIXED_FREQ)

    def _write_prices_at_frequency_for_contract_object_no_checking(
            self, futures_contract_object: futuresContract, futures_price_data: futuresContractPrices,
            frequency: Frequency):
        df = pd.DataFrame(futures_price_data)
        if sorted(df.columns) != PRICE_DATA_COLUMNS:
            raise ValueError(f"per-contract prices need the columns {PRICE_DATA_COLUMNS}, got {list(df.columns)}")
        df = df[_CONTRACT_COLUMNS].astype("float64")
        self._write(contract_key(futures_contract_object), df, contract_dataset(frequency))
        self.log.debug("Wrote %d lines of prices for %s at %s to %s"
                       % (len(df), futures_contract_object.key, frequency, self),
                       **futures_contract_object.log_attributes(), method="temp")

    def _delete_merged_prices_for_contract_object_with_no_checks_be_careful(
            self, futures_contract_object: futuresContract):
        self._delete_prices_at_frequency_for_contract_object_with_no_checks_be_careful(
            futures_contract_object, frequency=MIXED_FREQ)

    def _delete_prices_at_frequency_for_contract_object_with_no_checks_be_careful(
            self, futures_contract_object: futuresContract, frequency: Frequency):
        self._delete(contract_key(futures_contract_object), contract_dataset(frequency))


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
                   systoreFuturesContractPriceData, systoreFuturesInstrumentData, systoreRollParametersData,
                   systoreSpreadCostData]


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


def make_blob(store_or_root="systore-data", **kwargs) -> systoreDataBlob:
    """A systoreDataBlob over a systore root (or systore.Store) with every STORAGE_CLASSES
    class added under pysystemtrade's attribute names (db_futures_adjusted_prices,
    db_futures_multiple_prices, db_fx_prices, db_futures_contract_price,
    db_futures_instrument, db_roll_parameters, db_spread_cost). Other keyword arguments go
    to pysystemtrade's dataBlob (log_name, csv_data_paths, parquet_store_path, ...).
    class_list adds pysystemtrade's own classes first: dataBlob keeps the first class
    of an attribute name, and it names csv/parquet/mongo/arctic classes db_... too, so
    a class given here replaces the systore class of the same data.

        blob = make_blob("systore-data")
        blob.db_fx_prices.get_fx_prices("USDGBP")
    """
    extra = kwargs.pop("class_list", arg_not_supplied)
    classes = ([] if extra is arg_not_supplied else list(extra)) + list(STORAGE_CLASSES)
    return systoreDataBlob(store_or_root, class_list=classes, **kwargs)


class systoreFuturesSimData(genericBlobUsingFuturesSimData):
    """A futuresSimData over a systore root (or systore.Store): a drop-in for
    csvFuturesSimData / dbFuturesSimData in backtests."""

    def __init__(self, store_or_root="systore-data", log=get_logger("systoreFuturesSimData")):
        blob = systoreDataBlob(store_or_root, class_list=STORAGE_CLASSES, log=log)
        super().__init__(data=blob)

    def __repr__(self):
        return "systoreFuturesSimData object with %d instruments" % len(self.get_instrument_list())
