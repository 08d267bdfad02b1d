"""The year workbook's schema: every sheet and column, declared once.

One fiscal year of budget performance management (预算绩效管理) is one workbook with Chinese sheet
names and headers, as a finance officer (财政局) fills it in. Each sheet here declares its Chinese
title, the English table name used in code, and its columns: Chinese header ↔ English name, kind,
whether required, code list and bounds. The reader, the validator, the template writer and the
synthetic-year generator all read this module; nothing else names a header.

Money is in 万元 unless the 基本信息 sheet says 元; values written with 元/万元 are converted.
Percentages are kept in percentage points (95% → 95.0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------
# Code lists (official terms). Aliases map common variants met in real files to the canonical term.
# ---------------------------------------------------------------------------------------------

UNIT_KINDS = ("部门", "单位", "乡镇", "街道")
BUDGET_TYPES = ("一般公共预算", "政府性基金预算", "国有资本经营预算", "社会保险基金预算")
SPECIAL_CATEGORIES = ("无", "政府投资基金", "PPP", "政府采购", "政府购买服务", "政府债务")
PROJECT_KINDS = ("项目", "政策")
NEW_OR_CONTINUING = ("新增", "延续")
YES_NO = ("是", "否")
FUND_SOURCES = ("当年财政拨款", "上年结转", "其他资金")
LEVEL1_PROJECT = ("产出指标", "效益指标", "满意度指标", "成本指标")
DIRECTIONS = ("≥", ">", "≤", "<", "=", "定性")
VALUE_BASES = ("计划标准", "行业标准", "历史标准", "其他标准")
DEPARTMENT_DIMENSIONS = ("运行成本", "管理效率", "履职效能", "社会效应", "可持续发展能力", "服务对象满意度")
EX_ANTE_DIMENSIONS = ("立项必要性", "投入经济性", "绩效目标合理性", "实施方案可行性", "筹资合规性")
EVALUATION_KINDS = ("单位自评", "财政评价", "第三方评价")
GRADES = ("优", "良", "中", "差")
REVENUE_OR_EXPENDITURE = ("收入", "支出")
SECTORS = (
    "一般公共服务",
    "教育",
    "科学技术",
    "文化旅游体育与传媒",
    "社会保障和就业",
    "卫生健康",
    "节能环保",
    "城乡社区",
    "农林水",
    "交通运输",
    "自然资源",
    "住房保障",
    "公共安全",
    "其他",
)

ALIASES: dict[tuple[str, ...], dict[str, str]] = {
    BUDGET_TYPES: {
        "一般公共": "一般公共预算",
        "政府性基金": "政府性基金预算",
        "国有资本经营": "国有资本经营预算",
        "社会保险基金": "社会保险基金预算",
        "社保基金预算": "社会保险基金预算",
    },
    SPECIAL_CATEGORIES: {
        "": "无",
        "否": "无",
        "/": "无",
        "—": "无",
        "政府和社会资本合作": "PPP",
        "政府与社会资本合作": "PPP",
        "政府与社会资本合作（PPP）": "PPP",
        "政府购买": "政府购买服务",
        "政府债务项目": "政府债务",
        "专项债": "政府债务",
    },
    FUND_SOURCES: {
        "本年财政拨款": "当年财政拨款",
        "财政拨款": "当年财政拨款",
        "上年结转资金": "上年结转",
        "其他": "其他资金",
    },
    DIRECTIONS: {
        ">=": "≥",
        "≧": "≥",
        "＞": ">",
        "<=": "≤",
        "≦": "≤",
        "＜": "<",
        "＝": "=",
        "═": "=",
        "﹦": "=",
        "正向": "≥",
        "反向": "≤",
        "定性指标": "定性",
    },
    VALUE_BASES: {"计划": "计划标准", "行业": "行业标准", "历史": "历史标准", "其他": "其他标准"},
    YES_NO: {
        "Y": "是",
        "N": "否",
        "y": "是",
        "n": "否",
        "1": "是",
        "0": "否",
        "TRUE": "是",
        "FALSE": "否",
        "True": "是",
        "False": "否",
    },
    EVALUATION_KINDS: {
        "自评": "单位自评",
        "财政审核": "财政评价",
        "第三方": "第三方评价",
        "第三方机构评价": "第三方评价",
    },
    LEVEL1_PROJECT: {"产出": "产出指标", "效益": "效益指标", "满意度": "满意度指标", "成本": "成本指标"},
}


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    ``kind`` is one of:

    - ``text``: free text, stripped;
    - ``id``: an identifier (code), stripped, no inner spaces;
    - ``code``: one of ``codes`` (aliases accepted and mapped to the canonical term);
    - ``money``: an amount in 万元 (``元``/``万元`` suffixes, thousands separators, full-width digits understood);
    - ``number``: a real number (``%`` dropped: the value is in percentage points);
    - ``int``: a whole number;
    - ``value``: an indicator value as written (``≥95%``, ``及时``): kept as text, parsed later by the scoring models.
    """

    name: str
    header: str
    kind: str
    required: bool = False
    codes: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    doc: str = ""


@dataclass(frozen=True)
class Sheet:
    """One sheet of the year workbook."""

    name: str  # English table name in YearData
    title: str  # Chinese sheet name
    columns: tuple[Column, ...]
    required: bool = True
    key: tuple[str, ...] = ()  # columns that identify a row; duplicates are errors
    doc: str = ""
    refs: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # column -> (table, column) it must exist in

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


C = Column

META = Sheet(
    name="meta",
    title="基本信息",
    doc="年度、行政区划等基本信息，每行一个字段。",
    columns=(
        C("field", "字段", "text", required=True, doc="字段名：年度、行政区划、金额单位、填报单位"),
        C("value", "内容", "text", doc="字段内容"),
    ),
    key=("field",),
)
META_FIELDS = {"年度": "year", "行政区划": "jurisdiction", "金额单位": "money_unit", "填报单位": "reporter"}
MONEY_UNITS = ("万元", "元")

UNITS = Sheet(
    name="units",
    title="单位",
    doc="预算部门和单位，含乡镇、街道。",
    columns=(
        C("unit_id", "单位编码", "id", required=True, doc="唯一编码，如 101"),
        C("unit_name", "单位名称", "text", required=True),
        C("unit_kind", "单位类型", "code", required=True, codes=UNIT_KINDS),
        C("sector", "行业领域", "code", required=True, codes=SECTORS, doc="按支出功能分类的行业/领域"),
        C("parent_unit_id", "主管部门编码", "id", doc="所属主管部门的单位编码；主管部门本身留空"),
        C("staff", "编制人数", "int", minimum=0),
        C("basic_budget", "基本支出预算数", "money", minimum=0, doc="人员经费和公用经费，万元"),
        C("basic_executed", "基本支出执行数", "money", minimum=0, doc="万元"),
    ),
    key=("unit_id",),
    refs={"parent_unit_id": ("units", "unit_id")},
)

PROJECTS = Sheet(
    name="projects",
    title="项目",
    doc="政策和项目支出，每行一个项目或政策。",
    columns=(
        C("project_id", "项目编码", "id", required=True),
        C("project_name", "项目名称", "text", required=True),
        C("unit_id", "单位编码", "id", required=True, doc="实施单位的单位编码"),
        C("project_kind", "项目类型", "code", required=True, codes=PROJECT_KINDS),
        C("budget_type", "预算类型", "code", required=True, codes=BUDGET_TYPES, doc="四本预算之一"),
        C("special_category", "专项类别", "code", required=True, codes=SPECIAL_CATEGORIES),
        C("new_or_continuing", "新增或延续", "code", required=True, codes=NEW_OR_CONTINUING),
        C("major", "是否重大", "code", required=True, codes=YES_NO, doc="重大政策和项目需开展事前绩效评估"),
        C("sector", "行业领域", "code", codes=SECTORS, doc="空白时取单位的行业领域"),
        C("start_year", "实施期起", "int", minimum=1990, maximum=2100),
        C("end_year", "实施期止", "int", minimum=1990, maximum=2100),
        C("goal", "年度总体目标", "text"),
        C("goal_achieved", "目标实际完成情况", "text"),
        C("balance_prev", "上年末累计结余", "money", minimum=0, doc="万元"),
        C("balance", "本年末累计结余", "money", minimum=0, doc="万元"),
    ),
    key=("project_id",),
    refs={"unit_id": ("units", "unit_id")},
)

BUDGET = Sheet(
    name="budget",
    title="预算执行",
    doc="每个项目按资金来源分行填报年初预算数、全年预算数（含调整和年中追加）和全年执行数。",
    columns=(
        C("project_id", "项目编码", "id", required=True),
        C("fund_source", "资金来源", "code", required=True, codes=FUND_SOURCES),
        C("initial", "年初预算数", "money", minimum=0, doc="万元"),
        C("annual", "全年预算数", "money", required=True, minimum=0, doc="调整后预算数，含年中追加，万元"),
        C("executed", "全年执行数", "money", required=True, minimum=0, doc="万元"),
    ),
    key=("project_id", "fund_source"),
    refs={"project_id": ("projects", "project_id")},
)

MONTHLY = Sheet(
    name="monthly",
    title="月度执行",
    doc="各项目逐月累计支出（全部资金来源合计），用于双监控。",
    columns=(
        C("project_id", "项目编码", "id", required=True),
        C("month", "月份", "int", required=True, minimum=1, maximum=12),
        C("executed_cum", "累计执行数", "money", required=True, minimum=0, doc="截至该月末累计，万元"),
    ),
    key=("project_id", "month"),
    refs={"project_id": ("projects", "project_id")},
)

INDICATORS = Sheet(
    name="indicators",
    title="绩效指标",
    doc="项目绩效目标和完成情况，每行一个三级指标。",
    columns=(
        C("project_id", "项目编码", "id", required=True),
        C("seq", "指标序号", "int", required=True, minimum=1),
        C("level1", "一级指标", "code", required=True, codes=LEVEL1_PROJECT),
        C(
            "level2",
            "二级指标",
            "text",
            required=True,
            doc="数量指标、质量指标、时效指标、成本指标、社会效益指标……",
        ),
        C("level3", "三级指标", "text", required=True),
        C(
            "direction",
            "指标方向",
            "code",
            codes=DIRECTIONS,
            doc="≥ 正向、≤ 反向、= 等于、定性；空白时按目标值中的符号判断",
        ),
        C("target", "目标值", "value", required=True, doc="如 95、≥95%、及时"),
        C("measure_unit", "计量单位", "text", doc="%、人、万元、天……"),
        C("basis", "取值依据", "code", codes=VALUE_BASES),
        C("weight", "分值", "number", required=True, minimum=0, maximum=100),
        C("mid_actual", "年中完成值", "value", doc="截至6月底"),
        C("actual", "全年完成值", "value"),
        C("self_score", "自评得分", "number", minimum=0, maximum=100),
        C("deviation_note", "偏差原因", "text", doc="偏差原因分析及改进措施"),
        C("last_actual", "上年完成值", "value", doc="延续项目上年同一指标的完成值"),
    ),
    key=("project_id", "seq"),
    refs={"project_id": ("projects", "project_id")},
)

PROGRESS = Sheet(
    name="progress",
    title="指标月度进展",
    required=False,
    doc="双监控：各指标逐月累计完成值（定性指标填达成/部分达成/未达成）。",
    columns=(
        C("project_id", "项目编码", "id", required=True),
        C("seq", "指标序号", "int", required=True, minimum=1),
        C("month", "月份", "int", required=True, minimum=1, maximum=12),
        C("value", "累计完成值", "value", required=True),
    ),
    key=("project_id", "seq", "month"),
    refs={"project_id": ("projects", "project_id")},
)

DEPARTMENT_TARGETS = Sheet(
    name="department_targets",
    title="部门整体目标",
    doc="部门（单位）整体绩效目标和完成情况。",
    columns=(
        C("unit_id", "单位编码", "id", required=True),
        C("seq", "指标序号", "int", required=True, minimum=1),
        C("dimension", "目标维度", "code", required=True, codes=DEPARTMENT_DIMENSIONS),
        C("indicator", "指标名称", "text", required=True),
        C("direction", "指标方向", "code", codes=DIRECTIONS),
        C("target", "目标值", "value", required=True),
        C("measure_unit", "计量单位", "text"),
        C("weight", "分值", "number", required=True, minimum=0, maximum=100),
        C("mid_actual", "年中完成值", "value"),
        C("actual", "全年完成值", "value"),
        C("self_score", "自评得分", "number", minimum=0, maximum=100),
        C("deviation_note", "偏差原因", "text"),
    ),
    key=("unit_id", "seq"),
    refs={"unit_id": ("units", "unit_id")},
)

EX_ANTE = Sheet(
    name="ex_ante",
    title="事前评估",
    required=False,
    doc="新增重大政策和项目的事前绩效评估：每位专家对每个维度打分（百分制）。",
    columns=(
        C("project_id", "项目编码", "id", required=True),
        C("expert", "评估专家", "text", required=True),
        C("dimension", "评估维度", "code", required=True, codes=EX_ANTE_DIMENSIONS),
        C("score", "评分", "number", required=True, minimum=0, maximum=100, doc="百分制"),
        C("comment", "评估意见", "text"),
    ),
    key=("project_id", "expert", "dimension"),
    refs={"project_id": ("projects", "project_id")},
)

CASH_FLOWS = Sheet(
    name="cash_flows",
    title="成本效益",
    required=False,
    doc="事前评估的成本效益测算：各年成本和效益（万元），第0年为建设起始年。",
    columns=(
        C("project_id", "项目编码", "id", required=True),
        C("year_index", "年序", "int", required=True, minimum=0, maximum=100),
        C("cost", "成本", "money", required=True, minimum=0),
        C("benefit", "效益", "money", required=True, minimum=0),
    ),
    key=("project_id", "year_index"),
    refs={"project_id": ("projects", "project_id")},
)

ALTERNATIVES = Sheet(
    name="alternatives",
    title="备选方案",
    required=False,
    doc="成本效果分析的备选方案：每个方案的总成本（万元）和效果。",
    columns=(
        C("project_id", "项目编码", "id", required=True),
        C("alternative", "方案名称", "text", required=True),
        C("cost", "成本", "money", required=True, minimum=0),
        C("effect", "效果", "number", required=True),
        C("effect_unit", "效果单位", "text"),
    ),
    key=("project_id", "alternative"),
    refs={"project_id": ("projects", "project_id")},
)

EVALUATIONS = Sheet(
    name="evaluations",
    title="评价结果",
    required=False,
    doc="财政评价和第三方评价的得分（单位自评得分在绩效指标表中）。",
    columns=(
        C("project_id", "项目编码", "id", required=True),
        C("evaluation_kind", "评价类型", "code", required=True, codes=EVALUATION_KINDS),
        C("evaluator", "评价机构", "text"),
        C("total", "评价得分", "number", required=True, minimum=0, maximum=100),
        C("grade", "评价等级", "code", codes=GRADES),
    ),
    key=("project_id", "evaluation_kind"),
    refs={"project_id": ("projects", "project_id")},
)

HISTORY = Sheet(
    name="history",
    title="历年绩效",
    required=False,
    doc="以前年度评价结果，用于结果运用和历史比较。",
    columns=(
        C("project_id", "项目编码", "id", required=True),
        C("year", "年度", "int", required=True, minimum=1990, maximum=2100),
        C("total", "评价得分", "number", minimum=0, maximum=100),
        C("grade", "评价等级", "code", codes=GRADES),
        C("annual", "全年预算数", "money", minimum=0),
        C("executed", "全年执行数", "money", minimum=0),
    ),
    key=("project_id", "year"),
    refs={"project_id": ("projects", "project_id")},
)

GOVERNMENT = Sheet(
    name="government",
    title="政府收支",
    doc="本级政府四本预算收支：预算数与决算数。",
    columns=(
        C("budget_type", "预算类型", "code", required=True, codes=BUDGET_TYPES),
        C("flow", "收支", "code", required=True, codes=REVENUE_OR_EXPENDITURE),
        C("budgeted", "预算数", "money", required=True, minimum=0),
        C("final", "决算数", "money", required=True, minimum=0),
    ),
    key=("budget_type", "flow"),
)

SHEETS: tuple[Sheet, ...] = (
    META,
    UNITS,
    PROJECTS,
    BUDGET,
    MONTHLY,
    INDICATORS,
    PROGRESS,
    DEPARTMENT_TARGETS,
    EX_ANTE,
    CASH_FLOWS,
    ALTERNATIVES,
    EVALUATIONS,
    HISTORY,
    GOVERNMENT,
)
SHEETS_BY_TITLE = {s.title: s for s in SHEETS}
SHEETS_BY_NAME = {s.name: s for s in SHEETS}
INSTRUCTIONS_TITLE = "填表说明"
CODES_TITLE = "代码表"

# Checks that are warnings, not errors (the data may be right but deserves a look).
EXECUTION_WARNING_RATIO = 1.5  # 执行数 above 150 % of 全年预算数
