"""CSS color validation for participant colors.

The v1 API uses HSL strings ("hsl(250, 84%, 54%)"), but browsers send any CSS
color; we accept the CSS Color 4 forms a color picker can produce and reject
anything else, so a color can be put into a style attribute safely.
"""

from __future__ import annotations

import re

NAMED_COLORS = frozenset(
    """
    aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue
    blueviolet brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk
    crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki
    darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen
    darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue
    dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite
    gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki
    lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan
    lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen
    lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime limegreen linen
    magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen
    mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream
    mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid
    palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum
    powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown
    seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen
    steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke yellow
    yellowgreen transparent
    """.split()
)

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?"
_ANGLE = rf"{_NUMBER}(?:deg|grad|rad|turn)?"
_PCT_OR_NUM = rf"{_NUMBER}%?"
_SEP = r"\s*,\s*"
_ALPHA_COMMA = rf"(?:{_SEP}{_PCT_OR_NUM})?"
_ALPHA_SLASH = rf"(?:\s*/\s*{_PCT_OR_NUM})?"

_PATTERNS = [
    re.compile(r"#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})"),
    # Legacy comma syntax and modern space syntax, with optional alpha.
    re.compile(
        rf"rgba?\(\s*{_PCT_OR_NUM}{_SEP}{_PCT_OR_NUM}{_SEP}{_PCT_OR_NUM}{_ALPHA_COMMA}\s*\)"
    ),
    re.compile(rf"rgba?\(\s*{_PCT_OR_NUM}\s+{_PCT_OR_NUM}\s+{_PCT_OR_NUM}{_ALPHA_SLASH}\s*\)"),
    re.compile(rf"hsla?\(\s*{_ANGLE}{_SEP}{_PCT_OR_NUM}{_SEP}{_PCT_OR_NUM}{_ALPHA_COMMA}\s*\)"),
    re.compile(rf"hsla?\(\s*{_ANGLE}\s+{_PCT_OR_NUM}\s+{_PCT_OR_NUM}{_ALPHA_SLASH}\s*\)"),
]

MAX_COLOR_LENGTH = 50


def is_css_color(value: str) -> bool:
    if not value or len(value) > MAX_COLOR_LENGTH:
        return False
    lowered = value.strip().lower()
    if lowered in NAMED_COLORS:
        return True
    return any(pattern.fullmatch(lowered) for pattern in _PATTERNS)


# The web app's palette (web/src/identity.js): a joiner whose colour another participant of
# the session already holds gets the first of these that nobody holds, so that two cursors
# never look alike while the palette lasts.
PARTICIPANT_PALETTE = (
    "#e5484d",
    "#f76b15",
    "#ffc53d",
    "#46a758",
    "#12a594",
    "#0090ff",
    "#3e63dd",
    "#8e4ec6",
    "#d6409f",
    "#a18072",
)


def distinct_color(wanted: str, taken: set[str]) -> str:
    """`wanted` if nobody holds it, else the first free palette colour, else `wanted`."""
    held = {color.strip().lower() for color in taken}
    if wanted.strip().lower() not in held:
        return wanted
    return next((color for color in PARTICIPANT_PALETTE if color not in held), wanted)
