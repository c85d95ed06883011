"""The HTML reports' shared page shell: one stylesheet, and escaping for every value."""

from __future__ import annotations

import html
from typing import Any


def escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


# --- the page ---------------------------------------------------------------------------------
STYLE = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px} p.lede{color:#57606a;margin:0 0 16px}
.filters{display:flex;gap:16px;flex-wrap:wrap;align-items:center;padding:10px 12px;background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px}
.filters label{font-weight:600} select,input{font:inherit;padding:2px 6px}
table{border-collapse:collapse;margin-top:12px} th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0} td.cell{text-align:center;min-width:76px;font-weight:600}
td.admin{background:#ffd7d5;color:#82071e} td.edit{background:#fff1c5;color:#7d4e00} td.view{background:#dafbe1;color:#116329} td.none{color:#8c959f}
td.cell .pods{font-weight:400;font-size:11px;display:block}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:4px}
.small{font-size:12px;color:#57606a} code{font-size:12px}
svg .node rect{fill:#f6f8fa;stroke:#57606a} svg .root rect{fill:#ddf4ff;stroke:#0969da} svg .team rect{fill:#fbefff;stroke:#8250df}
svg .app rect{fill:#dafbe1;stroke:#1a7f37} svg .decommissioning rect{fill:#ffebe9;stroke:#cf222e;stroke-dasharray:4 2}
svg text{font:12px system-ui,sans-serif;fill:#1f2328} svg .edge{fill:none;stroke:#8c959f}
tr.hidden,section.hidden{display:none} h3{font-size:14px;margin:16px 0 0}
"""
