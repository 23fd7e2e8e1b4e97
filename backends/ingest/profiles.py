"""Simulated listeners' profiles: name, country, timezone, explicit filter.

Names come from small fixed lists so the build needs no faker-style dependency; the lists are
varied enough that display names rarely repeat among a few thousand users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backends.ingest.anchor import ANCHOR_MS, DAY_MS

_FIRST = (
    "Ada Aiko Alex Amara Ana Andrei Arjun Ava Bea Ben Bruno Camila Carlos Chen Chloe Chris "
    "Dana Daniel David Diego Elena Eli Emma Erik Fatima Felix Finn Freya Gabriel Grace "
    "Hana Hugo Ines Isaac Isla Ivan Jack Jade James Jin Jonas Julia Kai Kenji Kofi Lara "
    "Laura Leo Liam Lina Lucas Lucy Luis Maya Mateo Mei Mia Miguel Mila Nadia Noah Nora "
    "Olivia Omar Oscar Paula Priya Rafael Ravi Rosa Ruby Sam Sara Sofia Tariq Theo Tom "
    "Valentina Wei Yara Yuki Zoe"
)
FIRST_NAMES = tuple(_FIRST.split())
_LAST = (
    "Adams Ahmed Alvarez Andersen Baker Becker Bianchi Brown Campbell Chen Costa Cruz "
    "Dubois Evans Fischer Garcia Gomez Hansen Hernandez Hoffmann Ito Jansen Johnson Kim "
    "Kowalski Lee Lopez Martin Meyer Moreau Muller Murphy Nakamura Nguyen Nielsen Novak "
    "Okafor Oliveira Park Patel Perez Petrov Reyes Ricci Rossi Santos Schmidt Silva Singh "
    "Smith Sato Tanaka Taylor Thomas Torres Wagner Walker Wang Weber Williams Wilson "
    "Wright Yilmaz Zhang"
)
LAST_NAMES = tuple(_LAST.split())

# (country, IANA timezone, UTC offset in hours, weight). The offset is the standard one;
# daylight saving is ignored because it only shifts simulated listening hours by one.
PLACES = (
    ("US", "America/New_York", -5, 14),
    ("US", "America/Chicago", -6, 7),
    ("US", "America/Los_Angeles", -8, 9),
    ("CA", "America/Toronto", -5, 4),
    ("MX", "America/Mexico_City", -6, 4),
    ("BR", "America/Sao_Paulo", -3, 7),
    ("AR", "America/Argentina/Buenos_Aires", -3, 2),
    ("GB", "Europe/London", 0, 8),
    ("IE", "Europe/Dublin", 0, 1),
    ("DE", "Europe/Berlin", 1, 7),
    ("FR", "Europe/Paris", 1, 5),
    ("ES", "Europe/Madrid", 1, 4),
    ("IT", "Europe/Rome", 1, 3),
    ("NL", "Europe/Amsterdam", 1, 3),
    ("SE", "Europe/Stockholm", 1, 3),
    ("PL", "Europe/Warsaw", 1, 2),
    ("TR", "Europe/Istanbul", 3, 2),
    ("NG", "Africa/Lagos", 1, 2),
    ("ZA", "Africa/Johannesburg", 2, 1),
    ("IN", "Asia/Kolkata", 5.5, 5),
    ("JP", "Asia/Tokyo", 9, 4),
    ("KR", "Asia/Seoul", 9, 2),
    ("PH", "Asia/Manila", 8, 2),
    ("ID", "Asia/Jakarta", 7, 2),
    ("AU", "Australia/Sydney", 10, 3),
    ("NZ", "Pacific/Auckland", 12, 1),
)
EXPLICIT_FILTER_SHARE = 0.10


@dataclass(frozen=True)
class Profile:
    user_id: int
    display_name: str
    country: str
    timezone: str
    utc_offset_hours: float  # for placing sessions at plausible local hours
    explicit_filter: bool
    created_at: int  # unix ms


def make_profiles(rng: np.random.Generator, count: int) -> list[Profile]:
    """``count`` profiles with user IDs 1..count."""
    weights = np.array([p[3] for p in PLACES], dtype=np.float64)
    places = rng.choice(len(PLACES), size=count, p=weights / weights.sum())
    firsts = rng.integers(0, len(FIRST_NAMES), size=count)
    lasts = rng.integers(0, len(LAST_NAMES), size=count)
    filters = rng.random(count) < EXPLICIT_FILTER_SHARE
    # Accounts were opened up to ~5 years before the anchor, all before the listening window.
    ages_days = rng.integers(91, 5 * 365, size=count)
    profiles = []
    for i in range(count):
        country, timezone, offset, _ = PLACES[int(places[i])]
        profiles.append(
            Profile(
                user_id=i + 1,
                display_name=f"{FIRST_NAMES[int(firsts[i])]} {LAST_NAMES[int(lasts[i])]}",
                country=country,
                timezone=timezone,
                utc_offset_hours=float(offset),
                explicit_filter=bool(filters[i]),
                created_at=ANCHOR_MS - int(ages_days[i]) * DAY_MS,
            )
        )
    return profiles
