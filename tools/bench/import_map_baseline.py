#!/usr/bin/env python3
"""Baseline of tools/bench/import-map.bench.ts: the same import + label_to_classification mapping as Distillery's
commitImport, as a plain Python 3 standard-library script (csv, json, hashlib; no third-party packages).

    python3 tools/bench/import_map_baseline.py --format jsonl|csv --file PATH --locator LOCATOR \
        --accepted OUT.jsonl --rejected OUT.jsonl

It streams the file and, per record, does what the Distillery data path does:

* reads UTF-8 (a BOM is dropped, invalid bytes become U+FFFD); JSONL: one record per non-blank line, split on LF with
  one trailing CR removed; a line that is not JSON (NaN / Infinity included) is an unparseable record. CSV: the csv
  module (strict quoting, so an unclosed quote at the end of the file is an error), header names normalised like
  normalizeHeader, empty lines skipped, a record the parser rejects is an unparseable record;
* row_id = first 32 hex chars of sha256(identity NUL position NUL raw), identity = the real path of the file,
  position = 0-based record index (unparseable records count, blank lines and the CSV header do not), raw = the
  line / the CSV record's text without its terminator (libs/sources/src/row.ts);
* maps {text, label} with label_to_classification's rules (libs/mappers): unparseable → parse_error; no text column
  → missing_field; text null → missing_text; text not a string or finite number → invalid_type; blank (JS trim) →
  empty_text; no label column → missing_field; label a list / object → invalid_type; label null / blank →
  missing_label; else {text: trimmed text, label: trimmed label, numbers as their decimal string, booleans
  "true"/"false"};
* writes accepted rows {row_id, source, task_profile, record} and rejected rows {row_id, source, reason, detail} as
  compact JSON Lines to two files, 64 KiB at a time, hashing each with sha256 as written (the artifact writers do
  the same). The accepted file is byte-for-byte what Distillery writes, so the bench compares their digests.

Prints one JSON line: counts, reason counts, digests, time of the import, and peak RSS (ru_maxrss).
"""
import argparse
import csv
import hashlib
import json
import math
import os
import resource
import sys
import time

# String.prototype.trim: WhiteSpace (TAB VT FF SP NBSP ZWNBSP, Zs) and LineTerminator (LF CR LS PS).
JS_WHITESPACE = '\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff'
WRITE_CHUNK = 64 * 1024
MAX_RECORD_CHARS = 16 * 1024 * 1024


def js_number(v):
    """String(v) for the numbers JSON gives: integers, and floats (integral ones without '.0')."""
    if isinstance(v, int):
        return str(v)
    if v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    return repr(v)


def type_name(v):
    if v is None:
        return 'null'
    if isinstance(v, list):
        return 'a list'
    if isinstance(v, dict):
        return 'an object'
    if isinstance(v, str):
        return 'a string'
    if isinstance(v, bool):
        return 'a boolean'
    return 'a number'


class Writer:
    """JSON Lines to a file, hashed as written (like FileArtifactStore.jsonlWriter)."""

    def __init__(self, path, encode):
        self.file = open(path, 'wb')
        self.sha = hashlib.sha256()
        self.encode = encode
        self.parts = []
        self.size = 0
        self.bytes = 0
        self.count = 0

    def write(self, value):
        line = self.encode(value)
        self.parts.append(line)
        self.size += len(line) + 1
        self.count += 1
        if self.size >= WRITE_CHUNK:
            self.flush()

    def flush(self):
        if not self.parts:
            return
        data = ('\n'.join(self.parts) + '\n').encode('utf-8')
        self.parts = []
        self.size = 0
        self.sha.update(data)
        self.bytes += len(data)
        self.file.write(data)

    def close(self):
        self.flush()
        self.file.close()
        return self.sha.hexdigest()


def reject_constant(name):
    raise ValueError(f'{name} is not valid JSON')


def normalize_header(raw):
    trimmed = [h.strip(JS_WHITESPACE) for h in raw]
    used = set()
    names = []

    def unique(base):
        if base not in used:
            return base
        k = 2
        while f'{base}_{k}' in used:
            k += 1
        return f'{base}_{k}'

    for i, h in enumerate(trimmed):
        name = f'column_{i + 1}' if h == '' else unique(h)
        if h != '':
            used.add(name)
        names.append(name)
    for i, h in enumerate(trimmed):
        if h == '':
            name = unique(f'column_{i + 1}')
            used.add(name)
            names[i] = name
    return names


def strip_terminator(raw):
    raw = raw.lstrip('\r\n')
    if raw.endswith('\r\n'):
        return raw[:-2]
    if raw.endswith('\n') or raw.endswith('\r'):
        return raw[:-1]
    return raw


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--format', choices=['jsonl', 'csv'], required=True)
    ap.add_argument('--file', required=True)
    ap.add_argument('--locator', required=True)
    ap.add_argument('--accepted', required=True)
    ap.add_argument('--rejected', required=True)
    ap.add_argument('--text-column', default='text')
    ap.add_argument('--label-column', default='label')
    args = ap.parse_args()

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    resolved = os.path.realpath(args.file)
    identity = resolved
    text_col = args.text_column
    label_col = args.label_column
    encode = json.JSONEncoder(ensure_ascii=False, separators=(',', ':')).encode
    accepted = Writer(args.accepted, encode)
    rejected = Writer(args.rejected, encode)
    counts = {}
    n_read = 0
    warnings = []

    def row_id(position, raw):
        return hashlib.sha256(f'{identity}\0{position}\0{raw}'.encode('utf-8')).hexdigest()[:32]

    def reject(rid, position, reason, detail):
        counts[reason] = counts.get(reason, 0) + 1
        rejected.write({'row_id': rid, 'source': {'locator': args.locator, 'resolved': resolved, 'position': position}, 'reason': reason, 'detail': detail})

    def map_row(rid, position, fields):
        """label_to_classification on one parsed record."""
        if text_col not in fields:
            return reject(rid, position, 'missing_field', f"column '{text_col}' (role 'text') is absent from the row")
        v = fields[text_col]
        where = f"'{text_col}' (role 'text')"
        if v is None:
            return reject(rid, position, 'missing_text', f'{where} is null')
        if isinstance(v, str):
            s = v
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            s = js_number(v)
        else:
            return reject(rid, position, 'invalid_type', f'{where} must be a string, got {type_name(v)}')
        text = s.strip(JS_WHITESPACE)
        if text == '':
            return reject(rid, position, 'empty_text', f'{where} is blank')
        if label_col not in fields:
            return reject(rid, position, 'missing_field', f"column '{label_col}' (role 'label') is absent from the row")
        lv = fields[label_col]
        label = None
        if isinstance(lv, str):
            label = lv.strip(JS_WHITESPACE) or None
        elif isinstance(lv, bool):
            label = 'true' if lv else 'false'
        elif isinstance(lv, (int, float)):
            if not math.isfinite(lv):
                return reject(rid, position, 'invalid_type', f'label must be a string, number or boolean, got {type_name(lv)}')
            label = js_number(lv)
        elif lv is not None:
            return reject(rid, position, 'invalid_type', f'label must be a string, number or boolean, got {type_name(lv)}')
        if label is None:
            return reject(rid, position, 'missing_label', f"label column '{label_col}' is empty")
        accepted.write({
            'row_id': rid,
            'source': {'locator': args.locator, 'resolved': resolved, 'position': position},
            'task_profile': 'classification',
            'record': {'text': text, 'label': label},
        })

    if args.format == 'jsonl':
        decode = json.JSONDecoder(parse_constant=reject_constant).decode
        position = 0
        blank = 0
        with open(args.file, encoding='utf-8-sig', errors='replace', newline='\n') as f:
            for line in f:
                if line.endswith('\n'):
                    line = line[:-1]
                if line.endswith('\r'):
                    line = line[:-1]
                if line.strip(JS_WHITESPACE) == '':
                    blank += 1
                    continue
                rid = row_id(position, line)
                n_read += 1
                try:
                    value = decode(line)
                except ValueError as e:
                    reject(rid, position, 'parse_error', f'line {position + blank + 1}: not valid JSON ({e})')
                    position += 1
                    continue
                map_row(rid, position, value if isinstance(value, dict) else {'value': value})
                position += 1
        if blank:
            warnings.append(f"skipped {blank} blank line{'s' if blank > 1 else ''} (not records)")
    else:
        csv.field_size_limit(MAX_RECORD_CHARS)
        position = 0
        names = None
        with open(args.file, encoding='utf-8-sig', errors='replace', newline='') as f:
            consumed = []  # physical lines of the record being parsed: its raw text

            def lines():
                for physical in f:
                    consumed.append(physical)
                    yield physical

            reader = csv.reader(lines(), strict=True)
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:
                    raw = strip_terminator(''.join(consumed))
                    consumed.clear()
                    n_read += 1
                    reject(row_id(position, raw), position, 'parse_error', f'CSV_ERROR: {e}')
                    position += 1
                    continue
                raw = ''.join(consumed)
                consumed.clear()
                if not cells:  # an empty line
                    continue
                if names is None:
                    names = normalize_header(cells)
                    continue
                raw = strip_terminator(raw)
                n_read += 1
                if len(cells) > len(names):
                    for i in range(len(names), len(cells)):
                        names.append(f'column_{i + 1}' if f'column_{i + 1}' not in names else f'column_{i + 1}_2')
                fields = dict(zip(names, cells))
                map_row(row_id(position, raw), position, fields)
                position += 1

    accepted_sha = accepted.close()
    rejected_sha = rejected.close()
    ms = (time.perf_counter() - t0) * 1000
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        'impl': 'python',
        'python': sys.version.split()[0],
        'ms': ms,
        'read': n_read,
        'accepted': accepted.count,
        'rejected': rejected.count,
        'rejection_counts': counts,
        'warnings': warnings,
        'accepted_sha256': accepted_sha,
        'accepted_bytes': accepted.bytes,
        'accepted_path': os.path.abspath(args.accepted),
        'rejected_sha256': rejected_sha,
        'rejected_bytes': rejected.bytes,
        'rejected_path': os.path.abspath(args.rejected),
        'cpu_ms': (ru.ru_utime + ru.ru_stime - ru0.ru_utime - ru0.ru_stime) * 1000,
        'max_rss_kib': ru.ru_maxrss,
    }))


if __name__ == '__main__':
    main()
