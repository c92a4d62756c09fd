"""Splitting a Japanese full name written without a space (山田太郎).

No library fits: namedivider-python, the well-known one, brings LightGBM,
pandas, NumPy and SciPy into the web app for one column of one import. So a
documented rule instead:

1. A family name from the list below (the most common ones, longest first) at
   the start, with at least one character after it, is the family name; the
   rest is the given name: 佐々木健太 → 佐々木 / 健太, 林美咲 → 林 / 美咲.
2. Otherwise the whole stays the family name and the given name is empty, as
   before: nothing is invented. The import's rejected-rows file and the lead
   page show the name as written, so a person can correct it.

Limits: a family name missing from the list is not split (rule 2); a name
that starts with a listed family name but belongs to a longer, unlisted one
is split wrongly (東海林 is listed so that 東 does not take it; 森永 is not,
so 森永太郎 becomes 森 / 永太郎). Names in kana or Latin letters without a
space are not split.
"""

from __future__ import annotations

# About the 150 most common family names, with the old and variant spellings
# people keep (齋藤, 髙橋, 渡邊).
COMMON_FAMILY_NAMES = """
佐藤 鈴木 高橋 髙橋 田中 伊藤 渡辺 渡邊 渡邉 山本 中村 小林 加藤 吉田
山田 佐々木 山口 松本 井上 木村 林 斎藤 齋藤 齊藤 斉藤 清水 山崎 山﨑
森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤
近藤 村上 遠藤 青木 坂本 福田 太田 西村 藤井 金子 岡本 藤原 中野 三浦
原田 中川 松田 竹内 小野 田村 中山 和田 石田 森田 上田 原 内田 柴田
酒井 宮崎 横山 高木 安藤 宮本 大野 小島 谷口 今井 工藤 高田 増田 丸山
杉山 村田 大塚 新井 小山 平野 藤本 河野 上野 野口 武田 松井 千葉 岩崎
菅原 木下 久保 佐野 野村 松尾 菊地 杉本 市川 古川 大西 島田 水野 桜井
高野 渡部 吉川 山内 西田 飯田 菊池 西川 小松 北村 安田 五十嵐 川口 平田
関 中田 久保田 服部 東 岩田 土屋 川崎 福島 本田 辻 樋口 秋山 田代
荒木 宮田 東海林 大橋 森本 永井 松岡 浅野 南 大久保 野田 小西 熊谷 松下
吉村 吉岡 黒田 尾崎 望月 堀 星野 片山
""".split()  # noqa: SIM905  # easier to read and extend as text
_LONGEST_FIRST = sorted(set(COMMON_FAMILY_NAMES), key=len, reverse=True)


def split_full_name(full: str) -> tuple[str, str]:
    """(family, given) of a full name without a space, by the rule above."""
    for family in _LONGEST_FIRST:
        if full.startswith(family) and len(full) > len(family):
            return family, full[len(family) :]
    return full, ""
