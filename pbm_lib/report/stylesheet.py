"""The published report's stylesheet: the look of a finance-bureau document, inlined into every page.

Kept as a Python string (not a package data file) so it is always installed with the code.
"""

from __future__ import annotations

#: Chinese font stack: the Noto/Source Han face first, then the Windows and macOS system faces.
FONT_STACK = '"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif'

REPORT_CSS = f"""
:root {{ --ink:#1a1a1a; --muted:#555; --rule:#c8c8c8; --head:#eef1f5; --accent:#8b1a1a; }}
* {{ box-sizing:border-box; }}
html {{ background:#f2f2f2; }}
body {{ margin:0; padding:24px 12px; color:var(--ink); font-family:{FONT_STACK};
  font-size:15px; line-height:1.75; -webkit-text-size-adjust:100%; }}
main.pbm-report {{ max-width:210mm; margin:0 auto; background:#fff; padding:18mm 16mm 14mm;
  box-shadow:0 1px 4px rgba(0,0,0,.15); }}
header.pbm-titleblock {{ text-align:center; border-bottom:3px double var(--accent); padding-bottom:10px;
  margin-bottom:22px; }}
header.pbm-titleblock p {{ text-align:center; }}
.pbm-issuer {{ margin:0; color:var(--accent); font-size:16px; letter-spacing:.2em; }}
header.pbm-titleblock h1 {{ margin:10px 0 4px; font-size:26px; line-height:1.4; font-weight:700;
  letter-spacing:.05em; }}
.pbm-subtitle {{ margin:0; color:var(--muted); font-size:14px; }}
h1,h2,h3,h4 {{ line-height:1.45; margin:1.2em 0 .5em; font-weight:700; }}
h1 {{ font-size:22px; }} h2 {{ font-size:19px; border-left:4px solid var(--accent); padding-left:8px; }}
h3 {{ font-size:16.5px; }} h4 {{ font-size:15px; }}
p {{ margin:.5em 0; text-align:justify; }}
ul,ol {{ padding-left:2em; }}
a {{ color:#1f4e8c; }}
a.anchor-link {{ display:none; }}
.jp-Cell, .cell {{ margin:0; padding:0; }}
.jp-OutputArea-output, .output_subarea {{ overflow-x:auto; }}
pre {{ white-space:pre-wrap; font-family:"Noto Sans Mono CJK SC",monospace; font-size:13px;
  background:#f7f7f7; padding:8px; border-radius:3px; }}
img {{ max-width:100%; height:auto; }}
.output_png, .output_jpeg, .output_svg {{ text-align:center; margin:14px 0 18px; }}
.output_png img, .output_jpeg img, .output_svg img {{ display:inline-block; }}
.pbm-table {{ margin:16px 0 20px; overflow-x:auto; }}
table {{ border-collapse:collapse; margin:0 auto; font-size:13.5px; line-height:1.5; }}
table.pbm, table.dataframe {{ width:100%; }}
table caption {{ caption-side:top; font-weight:700; font-size:14.5px; padding:0 0 6px; text-align:center; }}
th, td {{ border:1px solid var(--rule); padding:4px 8px; vertical-align:top; }}
thead th {{ background:var(--head); font-weight:700; text-align:center; }}
tbody tr:nth-child(even) td {{ background:#fafafa; }}
td.num, th.num {{ text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }}
.pbm-chip {{ display:inline-block; padding:0 .5em; border-radius:.6em; line-height:1.5;
  -webkit-print-color-adjust:exact; print-color-adjust:exact; }}
.pbm-source, .pbm-note {{ margin:4px 0 0; font-size:12.5px; color:var(--muted); text-align:left; }}
.pbm-empty {{ text-align:center; color:var(--muted); }}
footer.pbm-provenance {{ margin-top:28px; padding-top:8px; border-top:1px solid var(--rule);
  color:var(--muted); font-size:12px; }}
.pbm-provenance-title {{ margin:0 0 4px; font-weight:700; }}
table.pbm-provenance-table {{ margin:0; font-size:12px; }}
footer.pbm-provenance table.pbm-provenance-table tr th, footer.pbm-provenance table.pbm-provenance-table tr td {{
  border:none; padding:1px 12px 1px 0; background:none; text-align:left; font-weight:normal; }}
table.pbm-provenance-table td {{ word-break:break-all; }}
.pbm-colophon {{ margin-top:10px; color:#888; font-size:11px; text-align:center; }}
@page {{ size:A4; margin:18mm 16mm; }}
@media print {{
  html, body {{ background:#fff; padding:0; font-size:10.5pt; }}
  main.pbm-report {{ max-width:none; padding:0; box-shadow:none; }}
  h2, h3 {{ break-after:avoid; }}
  .pbm-table, .output_png, table, figure {{ break-inside:avoid; }}
  tr, img {{ break-inside:avoid; }}
  * {{ -webkit-print-color-adjust:exact; print-color-adjust:exact; }}
}}
@media (max-width:640px) {{ main.pbm-report {{ padding:16px 12px; }} body {{ padding:0; }} }}
"""
