"""A default avatar per wallet: a 5×5 mirrored pattern in two colours derived from the address
(like the identicons wallets show), as an SVG data URI: nothing to upload or store, the same
picture everywhere, and allowed by the CSP (img-src data:)."""

import hashlib
from base64 import b64encode

SIZE = 5


def avatar_uri(address: str) -> str:
    return "data:image/svg+xml;base64," + b64encode(avatar_svg(address).encode()).decode()


def avatar_svg(address: str) -> str:
    digest = hashlib.sha256(address.lower().encode()).digest()
    hue = digest[0] * 360 // 256
    colour, background = f"hsl({hue} 65% 45%)", f"hsl({(hue + 180) % 360} 60% 92%)"
    cells = []
    for row in range(SIZE):
        for col in range((SIZE + 1) // 2):
            if digest[1 + row * 3 + col] % 2:
                for x in {col, SIZE - 1 - col}:
                    cells.append(f'<rect x="{x}" y="{row}" width="1" height="1"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 6 6">'
        f'<rect x="-0.5" y="-0.5" width="6" height="6" fill="{background}"/>'
        f'<g fill="{colour}">{"".join(cells)}</g></svg>'
    )
