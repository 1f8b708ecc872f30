#!/usr/bin/env python3
"""Decode many captures with layerscope on a Spark cluster.

Usage:
  spark-submit [--master URL] [--files path/to/layerscope] \\
      scripts/spark/layerscope_spark.py [--layerscope PATH] --output DIR \\
      [--file-timeout SECS] CAPTURES...

CAPTURES are directories, files or globs in any file system Hadoop resolves
(local paths, file://, hdfs://, s3a://, ...). A directory stands for every
file below it.

Files are the unit of parallelism: each capture is one Spark task. The
executor writes the capture's bytes to a local temporary file, runs the
layerscope binary shipped with the job on it (`read --format jsonl` with the
fixed field set below, then `flows --format jsonl`) and turns the JSON lines
into typed rows. Three Parquet datasets are written under --output:

  packets/        one row per frame, partitioned by `date` (the frame's UTC
                  date, from frame.time_epoch), with `capture` (file name)
                  and `capture_path` (full URI)
  conversations/  one row per `layerscope flows` conversation, partitioned by
                  `date` (UTC date of the conversation's first packet)
  files/          one row per capture: rows kept, exit codes, error messages

Date partitions keep the number of directories bounded by days, not by
files, and let time-range queries prune; filter on `capture` for one file.
Each run replaces the three datasets under --output.

A capture layerscope cannot read to the end (truncated, corrupt, unknown
format) keeps the rows decoded before the error; the error is recorded in
files/ and printed by the driver, and the other captures are unaffected.
A missing or broken layerscope binary fails the job instead.

Column names are Wireshark's field names (`ip.src`, `tcp.stream`, ...), as
in layerscope's JSON, CSV and Parquet output; quote them in SQL
("ip.src" in DuckDB, `ip.src` in Spark SQL). Fields a packet can carry more
than once (addresses, ports and streams of tunnelled packets: `ip.src` twice
in IP-in-IP or VXLAN) are arrays, outer layer first, even when they occur
once; frame fields and columns are scalars.
"""

import argparse
import datetime
import decimal
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

# The packet fields asked of `layerscope read -e`: (name, type, repeated).
# Types: long, int, string, time (a decimal seconds string, kept exact).
FIELDS = [
    ("frame.number", "long", False),
    ("frame.time_epoch", "time", False),
    ("frame.len", "long", False),
    ("frame.cap_len", "long", False),
    ("frame.protocols", "string", False),
    ("eth.src", "string", True),
    ("eth.dst", "string", True),
    ("vlan.id", "int", True),
    ("ip.src", "string", True),
    ("ip.dst", "string", True),
    ("ipv6.src", "string", True),
    ("ipv6.dst", "string", True),
    ("ip.proto", "int", True),
    ("ip.ttl", "int", True),
    ("tcp.srcport", "int", True),
    ("tcp.dstport", "int", True),
    ("udp.srcport", "int", True),
    ("udp.dstport", "int", True),
    ("tcp.stream", "long", True),
    ("udp.stream", "long", True),
    ("tcp.flags", "string", True),
    ("tcp.len", "long", True),
    ("udp.length", "long", True),
    ("dns.qry.name", "string", True),
    ("http.host", "string", True),
    ("tls.handshake.extensions_server_name", "string", True),
    ("_ws.col.protocol", "string", False),
    ("_ws.col.info", "string", False),
]

# `layerscope flows --format jsonl` keys, all present on every line.
CONV_FIELDS = [
    ("stream", "long"),
    ("tcp.stream", "long"),
    ("udp.stream", "long"),
    ("transport", "string"),
    ("app", "string"),
    ("src", "string"),
    ("sport", "int"),
    ("dst", "string"),
    ("dport", "int"),
    ("packets_ab", "long"),
    ("bytes_ab", "long"),
    ("packets_ba", "long"),
    ("bytes_ba", "long"),
    ("packets", "long"),
    ("bytes", "long"),
    ("start", "time"),
    ("rel_start", "time"),
    ("duration", "time"),
    ("state", "string"),
    ("retransmissions", "long"),
    ("evicted", "bool"),
]

# Exact nanosecond seconds: 11 integer digits reach beyond year 5000.
TIME_PRECISION, TIME_SCALE = 20, 9


def spark_type(kind):
    from pyspark.sql import types as T

    return {
        "long": T.LongType(),
        "int": T.IntegerType(),
        "string": T.StringType(),
        "bool": T.BooleanType(),
        "time": T.DecimalType(TIME_PRECISION, TIME_SCALE),
    }[kind]


def packet_schema():
    from pyspark.sql import types as T

    cols = []
    for name, kind, repeated in FIELDS:
        t = spark_type(kind)
        cols.append(T.StructField(name, T.ArrayType(t, False) if repeated else t, True))
    cols += [
        T.StructField("frame.time", T.TimestampType(), True),
        T.StructField("capture", T.StringType(), False),
        T.StructField("capture_path", T.StringType(), False),
        T.StructField("date", T.DateType(), True),
    ]
    return T.StructType(cols)


def conversation_schema():
    from pyspark.sql import types as T

    cols = [T.StructField(name, spark_type(kind), True) for name, kind in CONV_FIELDS]
    cols += [
        T.StructField("capture", T.StringType(), False),
        T.StructField("capture_path", T.StringType(), False),
        T.StructField("date", T.DateType(), True),
    ]
    return T.StructType(cols)


def files_schema():
    from pyspark.sql import types as T

    return T.StructType(
        [
            T.StructField("capture", T.StringType(), False),
            T.StructField("capture_path", T.StringType(), False),
            T.StructField("size_bytes", T.LongType(), False),
            T.StructField("packets", T.LongType(), False),
            T.StructField("conversations", T.LongType(), False),
            T.StructField("read_exit", T.IntegerType(), False),
            T.StructField("read_error", T.StringType(), True),
            T.StructField("flows_exit", T.IntegerType(), False),
            T.StructField("flows_error", T.StringType(), True),
        ]
    )


class RowError(ValueError):
    """A JSON value that does not fit the column's type."""


def convert(kind, value, name):
    """One JSON value as the Python value Spark stores for `kind`."""
    if value is None:
        return None
    if kind == "string":
        if isinstance(value, str):
            return value
    elif kind in ("long", "int"):
        if isinstance(value, int) and not isinstance(value, bool):
            if kind == "int" and not -(2**31) <= value < 2**31:
                raise RowError(f"{name}: {value} does not fit a 32-bit integer")
            return value
    elif kind == "bool":
        if isinstance(value, bool):
            return value
    elif kind == "time":
        if isinstance(value, (str, decimal.Decimal)):
            try:
                d = decimal.Decimal(value)
            except decimal.InvalidOperation:
                raise RowError(f"{name}: {value!r} is not a decimal number") from None
            if not d.is_finite() or abs(d) >= 10 ** (TIME_PRECISION - TIME_SCALE):
                raise RowError(f"{name}: {value} is out of the DECIMAL({TIME_PRECISION},{TIME_SCALE}) range")
            return d.quantize(decimal.Decimal(1).scaleb(-TIME_SCALE))
    raise RowError(f"{name}: {value!r} is not a {kind}")


def field_value(kind, repeated, value, name):
    if value is None:
        return None
    if repeated:
        values = value if isinstance(value, list) else [value]
        return [convert(kind, v, name) for v in values]
    if isinstance(value, list):
        raise RowError(f"{name}: repeated ({len(value)} values) in a single-valued column")
    return convert(kind, value, name)


def utc_time(seconds):
    """(timestamp, date) of a decimal epoch time, or (None, None) out of range."""
    if seconds is None:
        return None, None
    whole = int(seconds.to_integral_value(rounding=decimal.ROUND_FLOOR))
    micros = int((seconds - whole) * 1_000_000)
    try:
        t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
            seconds=whole, microseconds=micros
        )
    except OverflowError:
        return None, None
    return t, t.date()


def packet_row(line, capture, path):
    d = json.loads(line, parse_float=decimal.Decimal)
    row = [field_value(kind, rep, d.get(name), name) for name, kind, rep in FIELDS]
    t, day = utc_time(row[1])
    return tuple(row) + (t, capture, path, day)


def conversation_row(line, capture, path):
    d = json.loads(line, parse_float=decimal.Decimal)
    row = [convert(kind, d.get(name), name) for name, kind in CONV_FIELDS]
    _, day = utc_time(row[15])
    return tuple(row) + (capture, path, day)


def read_args(binary, capture_file):
    args = [binary, "read", "--format", "jsonl", "--no-progress", "--color", "never"]
    for name, _, _ in FIELDS:
        args += ["-e", name]
    return args + ["--", capture_file]


def flows_args(binary, capture_file):
    return [binary, "flows", "--format", "jsonl", "--no-progress", "--", capture_file]


def run_lines(args, timeout, on_line):
    """Runs args, passing each stdout line to on_line as it comes; returns
    (exit code, stderr text). A run past `timeout` seconds is killed (exit -9)."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").strip()
                if line:
                    on_line(line)
        finally:
            proc.stdout.close()
            code = proc.wait()
            timer.cancel()
        err.seek(0)
        text = err.read().decode("utf-8", "replace").strip()
    if code == -9 and not text:
        text = f"killed after {timeout} s"
    return code, text


def find_layerscope(name):
    """The binary shipped with the job (SparkFiles), else `name` as a path or
    on PATH. Files shipped by Spark may lose their executable bit."""
    from pyspark import SparkFiles

    candidates = []
    try:
        candidates.append(SparkFiles.get(os.path.basename(name)))
    except Exception:  # no SparkContext files here
        pass
    candidates.append(name)
    for c in candidates:
        if c and os.path.isfile(c):
            if not os.access(c, os.X_OK):
                os.chmod(c, os.stat(c).st_mode | 0o755)
            return c
    found = shutil.which(name)
    if found:
        return found
    raise RuntimeError(
        f"layerscope binary {name!r} not found on this executor: ship it with "
        "--files path/to/layerscope or pass --layerscope PATH"
    )


def one_line(text, tmp, path):
    """layerscope's message on one line, without its `layerscope: FILE: `
    prefix (the capture's path is beside it); other mentions of the
    temporary copy name the capture's own path."""
    if not text:
        return None
    lines = []
    for line in text.splitlines():
        for prefix in (f"layerscope: {tmp}: ", "layerscope: "):
            if line.startswith(prefix):
                line = line[len(prefix) :]
                break
        if line.strip():
            lines.append(line.replace(tmp, path))
    return " | ".join(lines)


def decode_captures(items, binary_name, timeout):
    """Executor side: (path, bytes) pairs in, tagged rows out:
    ("p", packet row), ("c", conversation row), ("f", file row)."""
    binary = find_layerscope(binary_name)
    for path, content in items:
        capture = path.rstrip("/").rsplit("/", 1)[-1]
        with tempfile.TemporaryDirectory(prefix="layerscope-", dir=local_dir()) as d:
            tmp = os.path.join(d, capture or "capture")
            with open(tmp, "wb") as f:
                f.write(content)
            del content
            out = []
            bad = []

            def keep(conv, kind):
                def on_line(line):
                    try:
                        out.append((kind, conv(line, capture, path)))
                    except (ValueError, RowError) as e:
                        bad.append(str(e))

                return on_line

            rc, err = run_lines(read_args(binary, tmp), timeout, keep(packet_row, "p"))
            n_packets = len(out)
            for row in out:
                yield row
            out.clear()
            read_error = one_line(err, tmp, path) if rc != 0 else None
            if bad:
                read_error = "; ".join(filter(None, [read_error, f"{len(bad)} rows dropped: {bad[0]}"]))
            bad.clear()
            frc, ferr = run_lines(flows_args(binary, tmp), timeout, keep(conversation_row, "c"))
            n_convs = len(out)
            for row in out:
                yield row
            flows_error = one_line(ferr, tmp, path) if frc != 0 else None
            if bad:
                flows_error = "; ".join(filter(None, [flows_error, f"{len(bad)} rows dropped: {bad[0]}"]))
            size = os.path.getsize(tmp)
        yield (
            "f",
            (capture, path, size, n_packets, n_convs, rc, read_error, frc, flows_error),
        )


def local_dir():
    """Spark's scratch directory on this executor, for the temporary copies."""
    dirs = os.environ.get("SPARK_LOCAL_DIRS") or os.environ.get("LOCAL_DIRS")
    if dirs:
        first = dirs.split(",")[0]
        if os.path.isdir(first):
            return first
    return None


def list_captures(sc, inputs):
    """Expands directories (recursively) and globs through Hadoop's FileSystem,
    so every scheme the cluster knows works; returns sorted file URIs."""
    jvm = sc._jvm
    conf = sc._jsc.hadoopConfiguration()
    found = set()
    for spec in inputs:
        p = jvm.org.apache.hadoop.fs.Path(spec)
        fs = p.getFileSystem(conf)
        statuses = fs.globStatus(p)
        if statuses is None or len(statuses) == 0:
            raise SystemExit(f"layerscope_spark: {spec}: no such file or directory")
        for st in statuses:
            if st.isDirectory():
                it = fs.listFiles(st.getPath(), True)
                while it.hasNext():
                    f = it.next()
                    name = f.getPath().getName()
                    if not name.startswith((".", "_")):
                        found.add(f.getPath().toString())
            else:
                found.add(st.getPath().toString())
    return sorted(found)


def hadoop_glob_escape(path):
    """binaryFiles reads its argument as a comma-separated list of globs; a
    file name is taken literally. A comma splits the list except inside
    braces, so it is written as an escaped comma in a one-way group."""
    out = []
    for ch in path:
        if ch == ",":
            out.append("{\\,}")
            continue
        if ch in "\\{}[]*?":
            out.append("\\")
        out.append(ch)
    return "".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Decode captures with layerscope on Spark into Parquet "
        "(packets/, conversations/, files/ under --output)."
    )
    ap.add_argument("captures", nargs="+", help="directories, files or globs (local, hdfs://, s3a://, ...)")
    ap.add_argument("--output", required=True, help="output directory (any Hadoop file system)")
    ap.add_argument("--master", help="Spark master (default: from spark-submit)")
    ap.add_argument(
        "--layerscope",
        default="layerscope",
        help="layerscope binary: a path on the driver (shipped to the executors), "
        "or the name of a file shipped with --files, or a command on PATH [default: layerscope]",
    )
    ap.add_argument(
        "--file-timeout",
        type=float,
        default=3600,
        help="seconds one layerscope run may take before it is killed and the capture "
        "reported (its rows so far kept) [default: 3600]",
    )
    args = ap.parse_args(argv)

    from pyspark import StorageLevel
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("layerscope").config("spark.sql.session.timeZone", "UTC")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")

    binary_name = args.layerscope
    if os.path.isfile(args.layerscope):
        # A local binary: ship it, so executors on other hosts get it too.
        try:
            sc.addFile(os.path.abspath(args.layerscope))
        except Exception as e:  # already shipped under that name with --files
            print(f"layerscope_spark: not shipping {args.layerscope}: {e}", file=sys.stderr)
        binary_name = os.path.basename(args.layerscope)

    paths = list_captures(sc, args.captures)
    if not paths:
        raise SystemExit("layerscope_spark: no captures found")
    # One RDD per file, so each capture is exactly one task.
    rdd = sc.union([sc.binaryFiles(hadoop_glob_escape(p), minPartitions=1) for p in paths])
    timeout = args.file_timeout
    tagged = rdd.mapPartitions(lambda items: decode_captures(items, binary_name, timeout))
    tagged.persist(StorageLevel.MEMORY_AND_DISK)

    def rows(tag):
        return tagged.filter(lambda r: r[0] == tag).map(lambda r: r[1])

    out = args.output.rstrip("/")
    files = spark.createDataFrame(rows("f"), files_schema())
    files.coalesce(1).write.mode("overwrite").parquet(out + "/files")
    spark.createDataFrame(rows("p"), packet_schema()).write.mode("overwrite").partitionBy(
        "date"
    ).parquet(out + "/packets")
    spark.createDataFrame(rows("c"), conversation_schema()).write.mode("overwrite").partitionBy(
        "date"
    ).parquet(out + "/conversations")

    report = files.collect()
    packets = sum(r["packets"] for r in report)
    convs = sum(r["conversations"] for r in report)
    failed = [r for r in report if r["read_error"] or r["flows_error"] or r["read_exit"] or r["flows_exit"]]
    print(
        f"layerscope_spark: {len(report)} captures, {packets} packets, {convs} conversations "
        f"-> {out}/{{packets,conversations,files}}; {len(failed)} captures with errors",
        file=sys.stderr,
    )
    for r in sorted(failed, key=lambda r: r["capture_path"]):
        msg = r["read_error"] or r["flows_error"] or f"exit {r['read_exit']}/{r['flows_exit']}"
        print(
            f"layerscope_spark: {r['capture_path']}: {msg} ({r['packets']} packets kept)",
            file=sys.stderr,
        )
    tagged.unpersist()
    spark.stop()


if __name__ == "__main__":
    main()
