#!/usr/bin/env python3
"""Derives the common given names of Sources/Matching/NameTables.swift from the OFAC SDN list.

A name is kept when it is the first given name (the first word after the comma of `LAST, First Middle`)
of at least 3 SDN individuals, has at least 4 letters, and is not a particle or a title. The output is
reviewed by hand before it is pasted into NameTables.swift (see Sources/Matching/DESIGN.md).

usage: scripts/derive-given-names.py ../shared/data/ofac/sdn_full_2024-05-03/sdn.csv
"""
import collections, csv, re, sys

PARTICLES_AND_TITLES = {"ABD", "ABDUL", "ABDEL", "ABOU", "BINT", "OULD",
                        "HAJI", "HAJJI", "QARI", "SHAYKH", "MAULAWI", "ISMA", "MULLAH", "SHEIKH"}
counts = collections.Counter()
for row in csv.reader(open(sys.argv[1], encoding="latin-1")):
    if len(row) < 3 or row[2] != "individual" or "," not in row[1]:
        continue
    words = [w for w in re.split(r"[^A-Za-z]+", row[1].split(",", 1)[1].upper()) if w]
    if words:
        counts[words[0]] += 1
names = sorted(n for n, k in counts.items() if k >= 3 and len(n) >= 4 and n not in PARTICLES_AND_TITLES)
print(len(names), file=sys.stderr)
for i in range(0, len(names), 12):
    print("        " + ", ".join(f'"{n}"' for n in names[i:i + 12]) + ",")
