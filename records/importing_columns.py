"""Reading and checking a records file in column batches (pyarrow), for PostgreSQL's COPY.

The fast path of records/importing.py for the large files (attendance, grades, discipline,
outcomes, enrollments). pyarrow's CSV reader parses a block of the file (BLOCK bytes) in C++
into one string array per column; each column is then checked through its dictionary: the
distinct cell texts of the batch, each checked once per file by the very rule the row-by-row
reader applies (`Column.read`, the student lookup, required and future-date checks), and mapped
back to the rows with one `take`. The checked batch is written as CSV by pyarrow and sent to COPY
while the next batch is read, so memory is bounded by the batch, not the file.

It is conservative: it only says yes. The first cell, row or byte it is not sure of (a quote
character anywhere, a blank line, a field count that differs, text that is not UTF-8, a cell
that breaks its rule, an unknown student, a line longer than the limit) abandons the file: the
caller rolls back what was copied (a savepoint) and reads the file again row by row, which
writes the exact report (file, line, column, value, reason). So the report, the line numbers
(quoted newlines included) and what is accepted are the row reader's by construction; a good
file simply never needs it. Without quotes and blank lines, a row's line is its ordinal + 2.
"""

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from records.csv_format import CellError

BLOCK = 8 << 20  # bytes of the file per batch


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
            if b'"' in block or b"\n\n" in joined or b"\r\r" in joined or b"\n\r\n" in joined:
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
        self.variant = np.uint64(series.variant)
        self.base = series.base

    def __call__(self, first: int, n: int) -> pa.Array:
        """The ids of rows first+1 .. first+n (the row reader's `new_id(seen)`)."""
        counters = np.arange(self.base + first + 1, self.base + first + 1 + n, dtype=np.uint64)
        low = (counters | self.variant).astype(">u8").view(np.uint8).reshape(n, 8)
        hexes = self._HEX[low].reshape(n, 16)
        out = np.empty((n, 36), dtype=np.uint8)
        out[:, :19] = self.prefix
        out[:, 19:23] = hexes[:, :4]
        out[:, 23] = ord("-")
        out[:, 24:] = hexes[:, 4:]
        binary = pa.Array.from_buffers(pa.binary(36), n, [None, pa.py_buffer(out.tobytes())])
        return binary.cast(pa.string())


_MISSING = object()


class ColumnBatches:
    """Checks one file's batches; `chunks()` yields them as CSV bytes ready for COPY.

    `plan` is [(position in the row, Column)] with district_id first (as the row reader's);
    `student_ids` maps a district_id to the student's id text (known, loaded students only).
    """

    def __init__(self, path, width, plan, student_ids, today, ids, with_line, max_line_chars):
        self.path = path
        self.width = width
        self.plan = plan
        self.student_ids = student_ids
        self.today = today
        self.ids = ids
        self.with_line = with_line
        self.max_line_chars = max_line_chars
        self.caches: list[dict] = [{} for _ in plan]
        self.rows = 0
        self.bytes = 0

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
        """The row reader's check of one cell (importing._RowChecker._check): the value as COPY
        text, None for NULL; Abandon for anything it would report."""
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
        return None if value is None else str(value)

    def _checked(self, array: pa.Array, k: int, column) -> pa.Array:
        cache = self.caches[k]
        encoded = array.dictionary_encode()
        out = []
        for text in encoded.dictionary.to_pylist():
            value = cache.get(text, _MISSING)
            if value is _MISSING:
                value = self._cell(column, text)
                if k == 0 and column.name == "district_id" and self.student_ids is not None:
                    value = self.student_ids.get(value)
                    if value is None:
                        raise Abandon  # an unknown student, or one whose row had a problem
                cache[text] = value
            out.append(value)
        return pc.take(pa.array(out, pa.string()), encoded.indices)

    def chunks(self) -> Iterator[bytes]:
        try:
            reader = self._reader()
            for batch in reader:
                yield self._batch_csv(batch)
        except (pa.ArrowException, UnicodeDecodeError):
            raise Abandon from None

    def _batch_csv(self, batch: pa.RecordBatch) -> bytes:
        n = batch.num_rows
        lengths = pc.utf8_length(batch.column(0))
        for i in range(1, self.width):
            lengths = pc.add(lengths, pc.utf8_length(batch.column(i)))
        longest = pc.max(lengths).as_py() or 0
        # The row reader refuses a line longer than the limit before reading it.
        if longest + self.width > self.max_line_chars:
            raise Abandon
        self.bytes += (pc.sum(lengths).as_py() or 0) + n * self.width
        columns = [self.ids(self.rows, n)]
        names = ["id"]
        if self.with_line:
            columns.insert(0, pa.array(np.arange(self.rows + 2, self.rows + 2 + n)))
            names.insert(0, "line")
        for k, (position, column) in enumerate(self.plan):
            columns.append(self._checked(batch.column(position), k, column))
            names.append(f"v{k}")
        self.rows += n
        out = io.BytesIO()
        pacsv.write_csv(
            pa.RecordBatch.from_arrays(columns, names=names),
            out,
            pacsv.WriteOptions(include_header=False, quoting_style="none"),
        )
        return out.getvalue()


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
            return next(self.chunks, b"")
        except Abandon:
            self.abandoned = True
            raise
