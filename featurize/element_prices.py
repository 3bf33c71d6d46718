"""Raw-material prices of the 55 elements of the element table, USD per kg of element.

A price index, not a quote: what a kilogram of the element costs as a traded raw material
(metal where it trades as metal, else the metal content of its usual traded form), the
annual average of 2023 where the source gives one. Every entry names its source and how
the number was obtained (``basis``):

- ``reported``: the source reports a 2023 price of the metal (or of a form priced per unit
  of metal content: LME cash, Comex, Engelhard/Johnson Matthey PGM prices), converted to
  USD/kg (1 troy oz = 31.1035 g, 1 lb = 0.45359 kg).
- ``derived``: from a reported price of an ore, oxide or ferroalloy by its metal content
  (e.g. tungsten: ammonium paratungstate per metric-ton unit of WO3, 1 mtu = 10 kg WO3 =
  7.93 kg W). An estimate.
- ``estimate``: no price in the source for the metal; an order of magnitude from the
  trade press named in the entry. An estimate: treat the cost index of alloys rich in
  these elements as ±50 %.

USGS MCS 2024 = U.S. Geological Survey, *Mineral Commodity Summaries 2024*
(doi:10.3133/mcs2024), the commodity chapter named, "salient statistics" price row, 2023
(estimated annual average). The numbers were typed by hand and rounded to two or three
significant figures; they are not checked against the publication by any test here —
check them there before a purchasing decision, and update year and values together.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICE_YEAR = 2023
MCS = "USGS MCS 2024"


@dataclass(frozen=True)
class ElementPrice:
    """One element's price: USD/kg of element, the source, and how it was obtained."""

    usd_per_kg: float
    source: str
    basis: str  # "reported" | "derived" | "estimate"

    @property
    def is_estimate(self) -> bool:
        return self.basis != "reported"


def _p(usd_per_kg: float, source: str, basis: str) -> ElementPrice:
    return ElementPrice(float(usd_per_kg), source, basis)


ELEMENT_PRICES: dict[str, ElementPrice] = {
    "Ag": _p(750, f"{MCS}, Silver: Handy & Harman, ~23.4 USD/troy oz", "reported"),
    "Al": _p(2.6, f"{MCS}, Aluminum: U.S. Midwest market ingot, ~1.2 USD/lb", "reported"),
    "Au": _p(62_700, f"{MCS}, Gold: Engelhard, ~1,950 USD/troy oz", "reported"),
    "Be": _p(650, f"{MCS}, Beryllium (no metal price); vacuum-cast metal, trade press", "estimate"),
    "Bi": _p(8.5, f"{MCS}, Bismuth: Rotterdam 99.99 %, ~3.9 USD/lb", "reported"),
    "Ca": _p(4, "no MCS price; Chinese calcium metal, trade press (Asian Metal)", "estimate"),
    "Ce": _p(5, f"{MCS}, Rare earths: CeO2 ~1 USD/kg; metal premium, trade press", "estimate"),
    "Co": _p(33, f"{MCS}, Cobalt: U.S. spot cathode, ~15 USD/lb", "reported"),
    "Cr": _p(10, f"{MCS}, Chromium: ferrochromium per kg Cr content; metal premium", "derived"),
    "Cu": _p(8.6, f"{MCS}, Copper: Comex, ~3.9 USD/lb", "reported"),
    "Dy": _p(420, f"{MCS}, Rare earths: Dy2O3 ~330 USD/kg, by Dy content + metal premium", "derived"),
    "Er": _p(60, "no MCS price; Er metal, trade press (Shanghai Metals Market)", "estimate"),
    "Fe": _p(0.45, f"{MCS}, Iron and steel: pig iron, ~450 USD/t", "derived"),
    "Ga": _p(300, f"{MCS}, Gallium: 99.99 % metal, ~300 USD/kg", "reported"),
    "Gd": _p(60, "no MCS price; Gd metal, trade press (Shanghai Metals Market)", "estimate"),
    "Ge": _p(1_300, f"{MCS}, Germanium: zone-refined metal, ~1,300 USD/kg", "reported"),
    "Hf": _p(5_000, "Argus Media, 'At the sharp end of the critical minerals supply crunch' "
             "(2023-02-21): hafnium above 5,000 USD/kg (750-1,200 before 2022)", "estimate"),
    "Ho": _p(100, "no MCS price; Ho metal, trade press (Shanghai Metals Market)", "estimate"),
    "In": _p(250, f"{MCS}, Indium: New York dealer, ~250 USD/kg", "reported"),
    "Ir": _p(151_000, f"{MCS}, Platinum-group metals: Engelhard Ir, ~4,700 USD/troy oz", "reported"),
    "La": _p(5, f"{MCS}, Rare earths: La2O3 ~1 USD/kg; metal premium, trade press", "estimate"),
    "Li": _p(100, f"{MCS}, Lithium (carbonate price only); Li metal, trade press", "estimate"),
    "Lu": _p(1_000, "no MCS price; Lu metal, trade press (Shanghai Metals Market)", "estimate"),
    "Mg": _p(3.5, f"{MCS}, Magnesium: China metal, ~3.5 USD/kg", "reported"),
    "Mn": _p(2.1, f"{MCS}, Manganese (ore price only); electrolytic Mn metal, trade press", "estimate"),
    "Mo": _p(53, f"{MCS}, Molybdenum: molybdic oxide, ~24 USD/lb Mo content", "derived"),
    "Nb": _p(45, f"{MCS}, Niobium: ferroniobium per kg Nb content", "derived"),
    "Nd": _p(90, f"{MCS}, Rare earths: Nd-Pr oxide ~75 USD/kg; Nd metal, trade press", "estimate"),
    "Ni": _p(21.5, f"{MCS}, Nickel: LME cash, ~21,500 USD/t", "reported"),
    "Os": _p(12_900, "no MCS price; Johnson Matthey base price ~400 USD/troy oz", "estimate"),
    "Pb": _p(2.2, f"{MCS}, Lead: LME cash, ~2,150 USD/t", "reported"),
    "Pd": _p(43_400, f"{MCS}, Platinum-group metals: Engelhard Pd, ~1,350 USD/troy oz", "reported"),
    "Pr": _p(95, f"{MCS}, Rare earths: Nd-Pr oxide ~75 USD/kg; Pr metal, trade press", "estimate"),
    "Pt": _p(31_000, f"{MCS}, Platinum-group metals: Engelhard Pt, ~965 USD/troy oz", "reported"),
    "Re": _p(1_350, f"{MCS}, Rhenium: metal pellets, ~1,350 USD/kg", "estimate"),
    "Rh": _p(212_000, f"{MCS}, Platinum-group metals: Engelhard Rh, ~6,600 USD/troy oz", "reported"),
    "Ru": _p(14_500, f"{MCS}, Platinum-group metals: Engelhard Ru, ~450 USD/troy oz", "reported"),
    "Sb": _p(12, f"{MCS}, Antimony: Rotterdam metal, ~12,000 USD/t", "reported"),
    "Sc": _p(3_500, f"{MCS}, Scandium (oxide and small-lot metal prices); bulk metal, trade press", "estimate"),
    "Si": _p(2.5, f"{MCS}, Silicon: silicon metal, ~1.2 USD/lb", "derived"),
    "Sm": _p(15, "no MCS price; Sm metal, trade press (Shanghai Metals Market)", "estimate"),
    "Sn": _p(26, f"{MCS}, Tin: LME cash, ~26,000 USD/t", "reported"),
    "Sr": _p(7, f"{MCS}, Strontium (celestite price only); Sr metal, trade press", "estimate"),
    "Ta": _p(300, f"{MCS}, Tantalum: tantalite ~160 USD/kg Ta2O5, by Ta content + metal premium", "derived"),
    "Tb": _p(1_600, f"{MCS}, Rare earths: Tb4O7 ~1,300 USD/kg, by Tb content + metal premium", "derived"),
    "Th": _p(100, f"{MCS}, Thorium: oxide unit value; no open market for the metal", "estimate"),
    "Ti": _p(9, f"{MCS}, Titanium: imported sponge unit value, ~9 USD/kg", "reported"),
    "Tm": _p(3_000, "no MCS price; Tm metal, trade press (Shanghai Metals Market)", "estimate"),
    "U": _p(146, "U.S. EIA Uranium Marketing Annual Report 2023: ~56 USD/lb U3O8 (84.8 % U)", "derived"),
    "V": _p(32, f"{MCS}, Vanadium: V2O5 ~8 USD/lb (56 % V)", "derived"),
    "W": _p(40, f"{MCS}, Tungsten: APT ~320 USD/mtu WO3 (1 mtu = 7.93 kg W)", "derived"),
    "Y": _p(35, f"{MCS}, Yttrium: Y2O3 ~7 USD/kg; metal premium, trade press", "estimate"),
    "Yb": _p(20, "no MCS price; Yb metal, trade press (Shanghai Metals Market)", "estimate"),
    "Zn": _p(2.65, f"{MCS}, Zinc: LME cash, ~2,650 USD/t", "reported"),
    "Zr": _p(35, f"{MCS}, Zirconium (zircon price only); reactor-grade sponge, trade press", "estimate"),
}
