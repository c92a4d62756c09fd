"""Names and words for demo data (seed_demo and the benchmarks)."""

# (kanji, kana reading)
FAMILY_NAMES = [
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
]
GIVEN_NAMES = [
    ("翔太", "ショウタ"),
    ("美咲", "ミサキ"),
    ("大輔", "ダイスケ"),
    ("陽菜", "ヒナ"),
    ("健太", "ケンタ"),
    ("さくら", "サクラ"),
    ("拓也", "タクヤ"),
    ("由美", "ユミ"),
    ("直樹", "ナオキ"),
    ("恵", "メグミ"),
    ("誠", "マコト"),
    ("愛", "アイ"),
    ("亮", "リョウ"),
    ("彩", "アヤ"),
    ("学", "マナブ"),
    ("優子", "ユウコ"),
    ("隆", "タカシ"),
    ("真由美", "マユミ"),
    ("浩", "ヒロシ"),
    ("結衣", "ユイ"),
]
COMPANY_STEMS = [
    "青葉",
    "北斗",
    "東雲",
    "みなと",
    "さくら",
    "富士",
    "銀河",
    "若葉",
    "大和",
    "光陽",
    "白鷺",
    "朝日",
    "桜井",
    "瑞穂",
    "日向",
    "千代田",
    "葵",
    "紅葉",
    "常盤",
    "湊",
]
COMPANY_KINDS = ["商事", "製作所", "システムズ", "物流", "電機", "ソリューションズ", "化学", "食品"]
DEPARTMENTS = ["営業部", "情報システム部", "経営企画部", "マーケティング部", "総務部", "製造部"]
TITLES = ["部長", "課長", "主任", "マネージャー", "担当", "取締役", "リーダー", ""]
# What prospects write in the web form's free fields.
WEB_FORM_ANSWERS = [
    "30名規模",
    "Excelで管理中",
    "来期（4月）から",
    "50〜100名",
    "他社ツールを比較中",
]
# What reps note after a first call.
CALL_NOTES = [
    "導入時期を確認。来月デモ希望。",
    "担当者は情報収集段階。決裁者は部長。",
    "予算感をヒアリング。見積もりを送付予定。",
    "不在のため留守電。午後に再架電。",
]

# (name, channel, budget, actual cost in yen)
CAMPAIGNS = [
    ("Spring product webinar", "webinar", 400_000, 380_000),
    ("Tokyo IT Week booth", "exhibition", 2_500_000, 2_650_000),
    ("Whitepaper: lead handoff", "content", 300_000, 220_000),
    ("Search ads Q3", "ads", 1_200_000, 1_150_000),
    ("Customer referral programme", "referral", 100_000, 40_000),
    ("Newsletter", "email", 50_000, 45_000),
    ("Osaka seminar", "seminar", 600_000, 610_000),
    ("Website contact form", "web", 0, 0),
]
# The kinds a demo lead's marketing touches are drawn from (page views most often).
MARKETING_KINDS = [
    "page_view",
    "page_view",
    "page_view",
    "email_open",
    "email_click",
    "download",
    "form_submit",
    "webinar",
    "event_visit",
]
