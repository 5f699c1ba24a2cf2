"""Reading and checking a records file in column batches (pyarrow), for PostgreSQL's COPY.

The fast path of records/importing.py for the large files (attendance, grades, discipline,
outcomes, enrollments). pyarrow's CSV reader parses a block of the file (BLOCK bytes) in C++
into one string array per column; each column is then checked through its dictionary: the
distinct cell texts of the batch, each checked once per file by the very rule the row-by-row
reader applies (`Column.read`, the student lookup, required and future-date checks), and mapped
back to the rows with one `take`. The checked batch is written as CSV by pyarrow and sent to COPY
while the next batch is read, so memory is bounded by the batch, not the file. Where every column
has a binary encoder (BINARY_FIELDS), the batch goes in PostgreSQL's binary COPY format instead:
each distinct cell text is encoded once, so PostgreSQL copies UUIDs, dates and integers as bytes
instead of parsing their text for every row.

It is conservative: it only says yes. The first cell, row or byte it is not sure of (a quote
character anywhere, a blank line, a field count that differs, text that is not UTF-8, a cell
that breaks its rule, an unknown student, a line longer than the limit) abandons the file: the
caller rolls back what was copied (a savepoint) and reads the file again row by row, which
writes the exact report (file, line, column, value, reason). So the report, the line numbers
(quoted newlines included) and what is accepted are the row reader's by construction; a good
file simply never needs it. Without quotes and blank lines, a row's line is its ordinal + 2.
"""

import datetime as dt
import io
import itertools
import struct
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from records.csv_format import CellError

BLOCK = 8 << 20  # bytes of the file per batch

# PostgreSQL's binary COPY format (its manual, COPY, "Binary Format"): a signature, the flags and
# the header extension's length; then per row a 16-bit field count and per field a 32-bit length
# (-1 for NULL) and the value as the type's send function writes it; a 16-bit -1 ends the data.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_TRAILER = b"\xff\xff"
_NULL_FIELD = b"\xff\xff\xff\xff"
_PG_EPOCH = dt.date(2000, 1, 1).toordinal()  # PostgreSQL counts dates from here

Encoder = Callable[[object], bytes]


def _uuid_field(text) -> bytes:
    return b"\x00\x00\x00\x10" + uuid.UUID(text).bytes


def _date_field(text) -> bytes:
    return struct.pack(">ii", 4, dt.date.fromisoformat(text).toordinal() - _PG_EPOCH)


def _int4_field(number) -> bytes:
    return struct.pack(">ii", 4, number)


def _text_field(text) -> bytes:
    data = text.encode()
    return struct.pack(">i", len(data)) + data


# The binary field of a checked value, by the column's type in the database (format_type,
# without a length). No real: its binary form would be rounded from Python's float, not from
# the decimal text as PostgreSQL rounds it, so a file with a real column is sent as CSV.
BINARY_FIELDS: dict[str, Encoder] = {
    "uuid": _uuid_field,
    "date": _date_field,
    "integer": _int4_field,
    "text": _text_field,
    "character varying": _text_field,
}


def binary_encoders(types: list[str] | None) -> list[Encoder] | None:
    """The binary encoder of each column type, or None if one has none (then CSV it is)."""
    if types is None:
        return None
    encoders = [BINARY_FIELDS.get(t.split("(")[0]) for t in types]
    return None if None in encoders else encoders  # type: ignore[return-value]


def _fixed_binary(matrix: np.ndarray) -> pa.Array:
    """The rows of a (n, width) byte matrix as a binary array."""
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(matrix.tobytes())]
    )


class Abandon(Exception):
    """The column path is not sure of this file: read it row by row instead."""


def plain_file(path: Path, max_line_chars: int) -> bool:
    """Whether `path` has no quote character and no blank line (so pyarrow's rows are the csv
    module's, one physical line each). Reads the file once at disk speed."""
    with path.open("rb") as raw:
        if raw.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            return False
        raw.seek(0)
        tail = b""
        while block := raw.read(BLOCK):
            joined = tail + block
            if b'"' in block or b"\n\n" in joined:
                return False
            # Most files have no CR at all: one byte search spares two two-byte searches.
            if b"\r" in joined and (b"\r\r" in joined or b"\n\r\n" in joined):
                return False
            tail = block[-2:]
    return True


class UuidColumn:
    """The ids of _UuidSeries (records/importing.py), made a batch at a time with numpy."""

    _HEX = np.frombuffer(b"".join(f"{b:02x}".encode() for b in range(256)), dtype=np.uint8).reshape(
        256, 2
    )

    def __init__(self, series) -> None:
        self.prefix = np.frombuffer(series.prefix.encode(), dtype=np.uint8)  # 19 bytes
        self.prefix_bytes = np.frombuffer(bytes.fromhex(series.prefix.replace("-", "")), np.uint8)
        self.variant = np.uint64(series.variant)
        self.base = series.base

    def _low(self, first: int, n: int) -> np.ndarray:
        """The last 8 bytes of the ids of rows first+1 .. first+n, one row each."""
        counters = np.arange(self.base + first + 1, self.base + first + 1 + n, dtype=np.uint64)
        return (counters | self.variant).astype(">u8").view(np.uint8).reshape(n, 8)

    def raw(self, first: int, n: int) -> np.ndarray:
        """The same ids as 16 bytes each, a (n, 16) matrix."""
        out = np.empty((n, 16), dtype=np.uint8)
        out[:, :8] = self.prefix_bytes
        out[:, 8:] = self._low(first, n)
        return out

    def __call__(self, first: int, n: int) -> pa.Array:
        """The ids of rows first+1 .. first+n (the row reader's `new_id(seen)`)."""
        low = self._low(first, n)
        hexes = self._HEX[low].reshape(n, 16)
        out = np.empty((n, 36), dtype=np.uint8)
        out[:, :19] = self.prefix
        out[:, 19:23] = hexes[:, :4]
        out[:, 23] = ord("-")
        out[:, 24:] = hexes[:, 4:]
        binary = pa.Array.from_buffers(pa.binary(36), n, [None, pa.py_buffer(out.tobytes())])
        return binary.cast(pa.string())


_MISSING = object()


# The most rows whose keys UniqueKeys holds (8 bytes each); a longer file is left to the database.
MAX_KEYS = 16_000_000
# Odd 64-bit multipliers that spread a key's numbers over a 64-bit hash.
_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)


class UniqueKeys:
    """Proves, while a file is read, that no two of its rows have the same key, or narrows the
    rows that might repeat one down to a few, so that a re-import need not ask the database for
    a hash aggregate of every staged row (the largest part of a re-import's time there). Two
    proofs:

    - order: files are usually grouped by one key column (a student's rows together, or a
      day's) and sorted by the others within a group. For each order of the key's columns, each
      row's key becomes one 63-bit number: the first column's value numbered as first seen,
      then the others' values (a date's day, an integer; other text numbered as first seen), so
      that such a file's numbers increase. A row whose number is above every number before it
      cannot repeat an earlier key; the others (records entered late and appended, say) are
      *suspects*, whose keys the stage looks for among the staged rows (one join of the few
      suspects against the stage). Constant memory but for the suspects' lines, at any length;
    - hashes: each row's key is a 64-bit hash of its values' numbers; if all the hashes
      differ, so do the keys. Up to MAX_KEYS rows (8 bytes each).

    `proven()`: no key repeats. Else `suspects()`: the lines to look at (None: no order holds,
    the database looks at every row, as before).
    """

    def __init__(self, columns: list[int]) -> None:
        self.columns = columns  # the key's positions in the plan
        self.numbers: list[dict] = [{} for _ in columns]  # checked value -> its number
        self.hashes: list[np.ndarray] = []
        self.rows = 0
        self.holds = len(columns) <= len(_MIX)
        orders = itertools.permutations(range(len(columns))) if len(columns) <= 3 else []
        self.orders: dict[tuple, _Order] = {o: _Order() for o in orders}
        self.kinds: list[str | None] = [None] * len(columns)  # how each column's values rank
        self.bits = 63 // max(len(columns), 1)

    def numbered(self, i: int, values: list) -> np.ndarray:
        """A number for each of `values` (a batch's distinct checked values of key column i)."""
        numbers = self.numbers[i]
        return np.array([numbers.setdefault(v, len(numbers)) for v in values], dtype=np.uint64)

    def add(
        self, keys: list[np.ndarray], values: list[tuple[pa.Array, np.ndarray]] | None = None
    ) -> None:
        """The numbers of a batch's rows, one array per key column; `values`, the same
        columns' checked values, each as the batch's distinct values and every row's position
        among them (None: no order proof)."""
        if values is None:
            self.orders = {}
        elif self.orders and len(keys[0]):
            self._ordered(keys, values)
        self.rows += len(keys[0]) if keys else 0
        if not self.holds or self.rows > MAX_KEYS:
            self.holds, self.hashes = False, []
            return
        mixed = np.zeros(len(keys[0]), dtype=np.uint64)
        for numbers, factor in zip(keys, _MIX, strict=False):
            mixed = (mixed ^ numbers) * np.uint64(factor)  # wraps around, as a hash should
        self.hashes.append(mixed)

    def _ranks(
        self, i: int, numbers: np.ndarray, values: pa.Array, positions: np.ndarray
    ) -> np.ndarray | None:
        """Column i's values as non-negative integers that follow their order where they have
        one (1 + an integer or a date's day; 1 + the number of other text; 0 for NULL), cut to
        the bits each column has. The same value always gives the same integer: a column is
        ranked one way for the whole file (None when a batch cannot be)."""
        kind = self.kinds[i]
        if kind is None:
            kind = "integer" if pa.types.is_integer(values.type) else "number"
            if pa.types.is_date32(values.type):
                kind = "date"
            if pa.types.is_string(values.type) and values.null_count < len(values):
                try:
                    pc.cast(values, pa.date32())
                    kind = "date"
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    pass
            self.kinds[i] = kind
        try:
            if kind == "integer":
                ranks = pc.fill_null(pc.add(pc.cast(values, pa.int64()), 1), 0).to_numpy()
            elif kind == "date":
                days = pc.cast(pc.cast(pc.cast(values, pa.date32()), pa.int32()), pa.int64())
                ranks = pc.fill_null(pc.add(days, _DAYS_BEFORE_1970), 0).to_numpy()
            else:
                return np.minimum(numbers + np.uint64(1), np.uint64((1 << self.bits) - 1))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        # Ranked once per distinct value, then spread over the rows.
        return np.clip(ranks, 0, (1 << self.bits) - 1).astype(np.uint64)[positions]

    def _ordered(self, keys, values) -> None:
        ranks = [self._ranks(i, keys[i], *v) for i, v in enumerate(values)]
        if any(r is None for r in ranks):
            self.orders = {}
            return
        for order, state in list(self.orders.items()):
            outer, *inner = order
            packed = np.minimum(keys[outer] + np.uint64(1), np.uint64((1 << self.bits) - 1))
            for i in inner:
                packed = (packed << np.uint64(self.bits)) | ranks[i]
            if not state.add(packed, self.rows):
                del self.orders[order]

    def proven(self) -> bool:
        """Whether every key of the file differs (called once, after the last batch)."""
        if any(not state.suspects for state in self.orders.values()) and self.rows:
            self.hashes = []
            return True
        if not self.holds:
            return False
        ordered = np.concatenate(self.hashes) if self.hashes else np.empty(0, np.uint64)
        self.hashes = []
        ordered.sort()
        return not (ordered[1:] == ordered[:-1]).any()

    def suspects(self) -> np.ndarray | None:
        """The lines of the only rows that may repeat a key, in the order with fewest; None when
        no order holds."""
        if not self.orders:
            return None
        best = min(self.orders.values(), key=lambda state: state.suspects)
        return np.concatenate(best.lines) if best.lines else np.empty(0, np.int64)


# Days from 1900-01-01 to 1970-01-01 (Arrow's dates count from 1970), plus one for NULL's 0.
_DAYS_BEFORE_1970 = (dt.date(1970, 1, 1) - dt.date(1900, 1, 1)).days + 1
# The most suspect lines an order keeps (8 bytes each), and at most one row in SUSPECT_SHARE
# (beyond the first 1,000): past either, the file is not in that order and it is given up.
MAX_SUSPECTS = 2_000_000
SUSPECT_SHARE = 20


class _Order:
    """One order's running maximum of the packed keys, and its suspect lines."""

    def __init__(self) -> None:
        self.highest = -1
        self.suspects = 0
        self.lines: list[np.ndarray] = []

    def add(self, packed: np.ndarray, rows_before: int) -> bool:
        """Take a batch's packed keys (rows_before: rows of the file before it); False when
        the order has too many suspects to be worth keeping."""
        highest = np.maximum.accumulate(packed)
        before = np.concatenate(([self.highest], highest[:-1].astype(np.int64)))
        suspect = packed.astype(np.int64) <= before
        self.highest = max(self.highest, int(highest[-1]))
        count = int(suspect.sum())
        if count:
            self.suspects += count
            seen = rows_before + len(packed)
            if self.suspects > min(MAX_SUSPECTS, seen // SUSPECT_SHARE + 1000):
                return False
            # A plain file's row n (from 0) is on line n + 2, after the header.
            self.lines.append(np.flatnonzero(suspect).astype(np.int64) + rows_before + 2)
        return True


class ColumnBatches:
    """Checks one file's batches; `chunks()` yields them as CSV bytes ready for COPY.

    `plan` is [(position in the row, Column)] with district_id first (as the row reader's);
    `student_ids` maps a district_id to the student's id text (known, loaded students only);
    `encoders`, one per column of the plan, ask for the binary COPY format (None: CSV);
    `unique`, when given, is told every batch's keys.
    """

    def __init__(
        self,
        path,
        width,
        plan,
        student_ids,
        today,
        ids,
        with_line,
        max_line_chars,
        encoders=None,
        unique: UniqueKeys | None = None,
    ):
        self.path = path
        self.width = width
        self.plan = plan
        self.student_ids = student_ids
        self.today = today
        self.ids = ids
        self.with_line = with_line
        self.max_line_chars = max_line_chars
        self.encoders = encoders
        self.binary = encoders is not None
        self.unique = unique
        self._keys: list[np.ndarray] = []  # the batch's key columns, numbered
        # and their checked values, for their order: (the distinct values, each row's position)
        self._key_values: list[tuple[pa.Array, np.ndarray]] | None = []
        self.caches: list[dict] = [{} for _ in plan]
        self.orderable: list[dict] = [{} for _ in plan]  # key cells: text -> value with an order
        self.rows = 0

    def _reader(self):
        names = [f"c{i}" for i in range(self.width)]
        return pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, block_size=BLOCK),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )

    def _cell(self, column, text: str):
        """The row reader's check of one cell (importing._RowChecker._check): the value, None
        for NULL; Abandon for anything it would report."""
        cell = text.strip()
        if not cell:
            if column.required:
                raise Abandon
            return None
        try:
            value = column.read(cell)
        except CellError:
            raise Abandon from None
        if column.not_future and value > self.today:
            raise Abandon
        return value

    def _encoded(self, k: int, value):
        """A checked value as the batch carries it: a binary field, or CSV text (None: NULL)."""
        if self.encoders is not None:
            return _NULL_FIELD if value is None else self.encoders[k](value)
        return None if value is None else str(value)

    def _checked(self, array: pa.Array, k: int, column) -> pa.Array:
        cache, orderable = self.caches[k], self.orderable[k]
        encoded = array.dictionary_encode()
        out = []
        for text in encoded.dictionary.to_pylist():
            value = cache.get(text, _MISSING)
            if value is _MISSING:
                value = checked = self._cell(column, text)
                if k == 0 and column.name == "district_id" and self.student_ids is not None:
                    value = self.student_ids.get(value)
                    if value is None:
                        raise Abandon  # an unknown student, or one whose row had a problem
                value = cache[text] = self._encoded(k, value)
                # The checked value (a district_id, not the student's id, which has no order
                # in the file); None for a type without a natural order.
                ordered = isinstance(checked, (int, str, dt.date)) and not isinstance(checked, bool)
                orderable[text] = checked if ordered else None
            out.append(value)
        if self.unique is not None and k in self.unique.columns:
            numbers = self.unique.numbered(self.unique.columns.index(k), out)
            indices = encoded.indices.to_numpy(zero_copy_only=False)
            self._keys.append(numbers[indices])
            if self._key_values is not None:
                ordered = [orderable[text] for text in encoded.dictionary.to_pylist()]
                try:
                    self._key_values.append((pa.array(ordered), indices))
                except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: no order
                    self._key_values = None
        kind = pa.binary() if self.binary else pa.string()
        return pc.take(pa.array(out, kind), encoded.indices)

    def _checked_columns(self, batch: pa.RecordBatch) -> list[pa.Array]:
        """Every column of the plan checked; the batch's keys told to `unique`."""
        self._keys, self._key_values = [], []
        columns = [
            self._checked(batch.column(position), k, column)
            for k, (position, column) in enumerate(self.plan)
        ]
        if self.unique is not None:
            self.unique.add(self._keys, self._key_values)
        return columns

    def chunks(self) -> Iterator[bytes]:
        try:
            reader = self._reader()
            if self.binary:
                yield COPY_HEADER
            for batch in reader:
                yield self._batch_bytes(batch)
            if self.binary:
                yield COPY_TRAILER
        except (pa.ArrowException, UnicodeDecodeError):
            raise Abandon from None

    def _check_line_lengths(self, batch: pa.RecordBatch) -> None:
        """Abandon a batch with a line longer than the limit (the row reader refuses it before
        reading it). The longest cell of each column in bytes (read off the offsets) bounds
        every line's characters: only a batch over the limit by that bound has its rows'
        characters counted."""
        widest = sum(pc.max(pc.binary_length(c)).as_py() or 0 for c in batch.columns)
        if widest + self.width <= self.max_line_chars:
            return
        lengths = pc.utf8_length(batch.column(0))
        for i in range(1, self.width):
            lengths = pc.add(lengths, pc.utf8_length(batch.column(i)))
        if (pc.max(lengths).as_py() or 0) + self.width > self.max_line_chars:
            raise Abandon

    def _batch_bytes(self, batch: pa.RecordBatch) -> bytes:
        n = batch.num_rows
        self._check_line_lengths(batch)
        if self.binary:
            return self._binary_rows(batch)
        columns = [self.ids(self.rows, n)]
        names = ["id"]
        if self.with_line:
            columns.insert(0, pa.array(np.arange(self.rows + 2, self.rows + 2 + n)))
            names.insert(0, "line")
        columns += self._checked_columns(batch)
        names += [f"v{k}" for k in range(len(self.plan))]
        self.rows += n
        out = io.BytesIO()
        pacsv.write_csv(
            pa.RecordBatch.from_arrays(columns, names=names),
            out,
            pacsv.WriteOptions(include_header=False, quoting_style="none"),
        )
        return out.getvalue()

    def _binary_rows(self, batch: pa.RecordBatch) -> bytes:
        """The batch's rows in the binary COPY format: the fixed fields (count, line, id) made
        with numpy, each column's fields taken from its cache, joined row by row in C++."""
        n = batch.num_rows
        fields = len(self.plan) + 1 + self.with_line
        head = [np.frombuffer(struct.pack(">h", fields), np.uint8)[None, :].repeat(n, axis=0)]
        if self.with_line:
            head.append(np.frombuffer(struct.pack(">i", 8), np.uint8)[None, :].repeat(n, axis=0))
            lines = np.arange(self.rows + 2, self.rows + 2 + n, dtype=">i8")
            head.append(lines.view(np.uint8).reshape(n, 8))
        head.append(np.frombuffer(struct.pack(">i", 16), np.uint8)[None, :].repeat(n, axis=0))
        head.append(self.ids.raw(self.rows, n))
        columns = [_fixed_binary(np.concatenate(head, axis=1)), *self._checked_columns(batch)]
        self.rows += n
        rows = pc.binary_join_element_wise(*columns, pa.scalar(b"", pa.binary()))
        offsets = np.frombuffer(rows.buffers()[1], np.int32)[rows.offset : rows.offset + n + 1]
        start, end = int(offsets[0]), int(offsets[-1])
        return rows.buffers()[2].slice(start, end - start).to_pybytes()


class ChunkFile(io.RawIOBase):
    """A file-like object over byte chunks, for COPY FROM STDIN: psycopg2 sends each chunk as
    read() returns it, so PostgreSQL parses one batch on the other core while the next is read."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        # psycopg2 turns an exception of read() into QueryCanceled: remember the real one.
        self.abandoned = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            # An empty chunk (a batch of no rows) would read as the end of the data.
            return next((chunk for chunk in self.chunks if chunk), b"")
        except Abandon:
            self.abandoned = True
            raise
