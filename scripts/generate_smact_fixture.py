#!/usr/bin/env python3
"""Writes Tests/ChemistryTests/Fixtures/smact_validity.csv: expected SMACT validity values.

The Swift validity checker searches partial charge sums; this fixture holds the answers of
SMACT itself (the reference implementation, brute force over every oxidation-state
combination) so the Swift tests can compare without Python. Run it in a throwaway venv:

    python3 -m venv /tmp/smact-venv && /tmp/smact-venv/bin/pip install smact==4.0.2
    /tmp/smact-venv/bin/python scripts/generate_smact_fixture.py [DATA_DIR]

DATA_DIR defaults to ../shared/data. The formulas are a fixed-seed mix of real ones (OQMD,
Materials Project with parentheses from the Roost file) and random ones over the 103
elements with 2-8 elements and counts 1-8 (some not reduced, some with elements lacking
electronegativities or oxidation states). Formulas whose full state product exceeds
300,000 in any set are skipped so that SMACT's brute force stays quick.

Columns (SMACT 4.0.2 `smact_validity`, `oxidation_states_set` as named):
  smact14, smact14_no_alloys            include_alloys True / False
  smact14_neutral                       use_pauling_test=False, include_alloys=False
  smact14_balanced                      use_pauling_test=True,  include_alloys=False
  icsd16, icsd24_filtered               oxidation_states_set "icsd16" / "icsd24"
  icsd24                                no set named: SMACT 4's default ICSD24 consensus-3 filter
For two or more elements, `smact14_neutral` and `smact14_balanced` are the checker's
charge-neutrality and electronegativity results on the reduced formula.
"""
import csv
import math
import pathlib
import random
import sys
from functools import reduce

from pymatgen.core import Composition
from smact.screening import smact_validity

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
OUTPUT = ROOT / "Tests" / "ChemistryTests" / "Fixtures" / "smact_validity.csv"
MAX_PRODUCT = 300_000
STATE_COLUMNS = ["ox_states_smact14", "ox_states_icsd16", "ox_states_icsd24_filtered", "ox_states_icsd24_consensus3"]

rng = random.Random(20261123)
elements = list(csv.DictReader(open(DATA / "elements_smact.csv", encoding="utf-8")))
states = {row["symbol"]: [row[c].split() for c in STATE_COLUMNS] for row in elements}
symbols = [row["symbol"] for row in elements]
few_states = [s for s in symbols if 0 < len(states[s][0]) <= 3]
ANION_FORMERS = ["O", "F", "Cl", "Br", "I", "S", "Se", "N", "H"]


def small_enough(formula):
    comp = Composition(formula)
    for column in range(len(STATE_COLUMNS)):
        product = math.prod(max(1, len(states[el.symbol][column])) for el in comp.elements)
        if product > MAX_PRODUCT:
            return False
    return True


def real_formulas(path, column, per_count):
    rows = [row[column] for row in csv.DictReader(open(path, encoding="utf-8"))]
    rng.shuffle(rows)
    chosen, taken = [], {}
    for formula in rows:
        n = len(Composition(formula).elements)
        if 2 <= n <= 8 and taken.get(n, 0) < per_count and small_enough(formula):
            taken[n] = taken.get(n, 0) + 1
            chosen.append(formula)
    return chosen


def random_formula():
    n = rng.randint(2, 8)
    if n <= 4:
        picked = rng.sample(symbols, n)
    else:  # mostly few-state elements, plus one or two anion formers so neutrality is possible
        anions = rng.sample(ANION_FORMERS, rng.randint(1, 2))
        picked = anions + rng.sample([s for s in few_states if s not in anions], n - len(anions))
    counts = [rng.randint(1, 8) for _ in picked]
    if rng.random() < 0.15:  # a non-reduced formula
        counts = [c * 2 for c in counts]
    return "".join(f"{s}{c}" for s, c in zip(picked, counts))


formulas = real_formulas(DATA / "oqmd_formation_enthalpy.csv", "formula", 10)
formulas += [f for f in real_formulas(DATA / "mp_formation_roost.csv", "formula", 12)]
formulas += ["Ag(AuF4)2", "Ca(NO3)2", "Ba(ClO4)2", "K3Fe(CN)6", "CH3COOH", "PmCl3", "NeF2", "XeF2", "Ti2O4"]
while len(formulas) < 260:
    formula = random_formula()
    if small_enough(formula):
        formulas.append(formula)

with open(OUTPUT, "w", newline="", encoding="utf-8") as handle:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["formula", "smact14", "smact14_no_alloys", "smact14_neutral", "smact14_balanced",
                     "icsd16", "icsd24", "icsd24_filtered"])
    for formula in formulas:
        values = [
            smact_validity(formula, oxidation_states_set="smact14"),
            smact_validity(formula, include_alloys=False, oxidation_states_set="smact14"),
            smact_validity(formula, use_pauling_test=False, include_alloys=False, oxidation_states_set="smact14"),
            smact_validity(formula, use_pauling_test=True, include_alloys=False, oxidation_states_set="smact14"),
            smact_validity(formula, oxidation_states_set="icsd16"),
            smact_validity(formula),
            smact_validity(formula, oxidation_states_set="icsd24"),
        ]
        writer.writerow([formula] + [int(v) for v in values])
print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(formulas)} formulas)")
