"""The concern/intent lexicon: which words cue which label, and how strongly.

One table, read by :mod:`livelens.comments.intents`. Entries are matched against the
*normalized* comment (see :mod:`livelens.comments.normalize`), so they are written in
Simplified, lower-case form. A comment's score for a label is the sum of the weights of the
cues found in it, squashed by a logistic: a weight of 2 alone is the decision threshold (0.5),
3 is a clear single cue (~0.8), 1 is a hint that needs another cue to count.

How phrases interact (the negation and context rules):

* Patterns (regular expressions) look ahead without consuming: they add weight for a form
  ("比X便宜", "160 100斤", "甜不甜") and the phrases inside still count.
* Phrases are matched longest first, left to right, without overlap. A longer phrase therefore
  overrides the words inside it: "不贵" (price, praise) is never read as "贵" (price, complaint);
  "运费险" is after-sales, not the shipping fee; "还有人吗" is not a stock question.
* A phrase with label ``"@host"`` marks a mention of the host or the stream; with no shopping
  concern in the comment it makes the comment interaction (:data:`HOST_MENTION_WEIGHT`).
* A phrase with label ``"@social"`` is an engagement cue (点赞, 关注, 滴滴, 哈哈, ❤): it adds its
  weight to interaction only when the comment has no shopping concern and no opinion
  ("点赞过万有福利吗" is a discount question, "已拍❤" a purchase, not small talk).
* Spam cues (橱窗, 零花钱, 代拍 …) complement :mod:`livelens.comments.spam`: a comment whose spam
  weight reaches the threshold is labelled spam only, like any other ad.
* A phrase with label ``""`` is a *blocker*: it consumes its text and cues nothing
  ("钱包" is no price cue, "撤退" no return, "码住" no size, "真的假的" no authenticity).
* An opinion followed by 吗, 不 or 还是 asks, it does not judge: the praise and complaint weights
  of a phrase right before them are dropped ("性价比高吗", "好吃不", "划算还是…").
* Token cues match whole tokens only: Latin size letters, reply digits, single characters that
  are cues alone but not inside other words.
* Fallback cues count only when no label reached the threshold: a bare "多少" in a sales room
  asks the price, but "腰围多少" asks a size. Fallback patterns likewise: "是X还是Y", "是X的吗"
  asks which kind the goods are (quality) only when nothing else is asked.
"""

from __future__ import annotations

from typing import Final

INTENT_LABELS: Final = (
    "price",
    "discount",
    "size",
    "shipping",
    "stock",
    "quality",
    "authenticity",
    "how_to_buy",
    "after_sales",
    "comparison",
    "praise",
    "complaint",
    "interaction",
    "spam",
    "other",
)

STRONG: Final = 3.0
CLEAR: Final = 2.5
ENOUGH: Final = 2.0
HINT: Final = 1.0

_TOO_STRONG: Final = " ".join(
    [f"{degree}{taste}" for degree in ("好", "超", "巨", "特别") for taste in "咸酸苦腻柴"]
    + [
        f"{what}{degree}{much}"
        for what in ("味道", "粉尘", "噪音", "异味", "气味", "香味")
        for degree in ("", "好", "很", "太", "特别", "有点", "超", "巨")
        for much in "大重冲浓"
    ]
)

# (label, weight, space-separated phrases). A phrase listed under several labels cues them all.
PHRASE_CUES: Final[tuple[tuple[str, float, str], ...]] = (
    # price — asks what it costs, or judges the price level
    ("price", STRONG, "多少钱 价格 价位 价钱 什么价 啥价 到手价 原价 单价 怎么卖 咋卖 几块钱"),
    ("price", STRONG, "多小钱"),
    ("price", STRONG, "真的值 很值 超值 太值 挺值 蛮值 值得 不值 不值得 贵死 天价 溢价"),
    ("praise", STRONG, "真的值 很值 超值 太值 挺值 蛮值 太香 好香 超香 良心价"),
    ("price", STRONG, "良心价 有点小贵"),
    ("complaint", STRONG, "有点小贵 贵死 天价 不值得"),
    ("price", STRONG, "性价比 贵不贵 贵吗 便宜吗 买得起 买不起 值不值 一起多少 到手"),
    ("price", STRONG, "太贵 好贵 真贵 有点贵 小贵 这么贵 那么贵 贵了 贵多了 又涨价 涨价 降价"),
    ("price", STRONG, "不贵 很便宜 好便宜 真便宜 太便宜 超便宜 也便宜 划算 价格美丽 一个价 券后"),
    ("price", ENOUGH, "贵 便宜 更便宜 值了"),
    ("price", HINT, "离谱"),
    ("price", STRONG, "差价"),
    ("quality", STRONG, "色差"),
    ("price", STRONG, "性价比高 性价比超高 性价比很高 哪个划算 哪个便宜 这价"),
    ("praise", ENOUGH, "性价比高 性价比超高 性价比很高"),
    ("complaint", STRONG, "太贵 好贵 真贵 这么贵 那么贵 又涨价"),
    ("complaint", ENOUGH, "有点贵 小贵 贵了"),
    ("complaint", HINT, "涨价 贵"),
    ("praise", ENOUGH, "不贵 很便宜 好便宜 真便宜 太便宜 超便宜 也便宜 划算 价格美丽 值了"),
    # discount — coupons, promotions, giveaways, bargaining for a lower price
    ("discount", STRONG, "券 优惠 折扣 打折 满减 秒杀 福袋 抽奖 赠品 小样 半价 红包 福利价 活动价"),
    ("discount", STRONG, "专属价 专享 买一送一 买二送一 第二件 叠加 便宜点 便宜一点 再便宜 再低点"),
    ("discount", ENOUGH, "活动 福利 送个 送点 送一"),
    ("discount", STRONG, "少一点 少点 便宜些 再少 没优惠 没有赠品 领券 券后 几折 抽中 中奖 能便宜"),
    ("discount", STRONG, "优惠点 试用装 试用"),
    # a gift with the purchase: 送吗, 送什么, 送不送, 有送, 都不送
    ("discount", STRONG, "送什么 送啥 送不送 送吗 有送 还送 再送 不送 没送 送的 送了 免费送"),
    ("discount", STRONG, "免息 免单 立减 直降 减价 返现 补贴 以旧换新 包税 没赠品 没小样"),
    ("complaint", ENOUGH, "不送 没送 没赠品 没小样"),
    ("shipping", STRONG, "送货 送到 送达"),
    ("", 0.0, "送你 送给你"),
    ("complaint", ENOUGH, "没优惠 没有赠品 用不了"),
    # size — sizes, fit, body measures, dimensions and quantity of content (spec)
    ("size", STRONG, "尺码 码数 几码 什么码 啥码 大码 小码 大一码 小一码 鞋码 码偏 码正 尺寸"),
    ("size", STRONG, "偏大 偏小 偏窄 偏宽 宽松 能穿 可以穿 穿什么 穿多大 穿得下 身高 体重"),
    ("size", STRONG, "腰围 胸围 臀围 肩宽 裤长 衣长 袖长 长度 规格 容量 毫升 净含量 多重 几克"),
    ("size", STRONG, "多少克 几片 多少片 几个装 几支 大包装 多大 多长 多宽 多高"),
    ("size", STRONG, "哪个码 选哪个码 哪个尺码 电压 功率 重量 瓦数 能装 小号 大号 中号 几段 加长"),
    ("size", STRONG, "加大 短款 长款 中长款 均码"),
    (
        "size",
        STRONG,
        "拍哪个码 买哪个码 拍什么码 买什么码 圈口 手围 戒圈 链长",
    ),
    ("size", STRONG, "腕围 头围 脚长 脚宽 脚背 内长 合身 不大不小 偏长 偏短 有点长 有点短 太长"),
    ("size", STRONG, "太短 小一圈 大一圈 穿不下 穿不上 戴不上 穿不进 戴不进 塞不下 放不下"),
    (
        "size",
        STRONG,
        "够用 够吃 够不够用 够不够吃 一个人用 两个人用 几个人用 一家人用 口之家 几口人",
    ),
    ("size", STRONG, "一个人吃 两个人吃 几个人吃 几人份"),
    ("complaint", ENOUGH, "穿不上 戴不上 穿不进 戴不进"),
    ("praise", STRONG, "合身 不大不小 刚刚好"),
    ("", 0.0, "多长时间 多久时间"),
    ("size", STRONG, "多久用完 能用完 用得完 用不完 几天用完"),
    ("size", CLEAR, "能用多久"),
    ("size", HINT, "紧 修身 床"),
    # shipping — dispatch, carriers, delivery time, fees and destinations
    ("shipping", STRONG, "发货 快递 物流 包邮 顺丰 中通 圆通 韵达 申通 极兔 邮政 京东快递 冷链"),
    ("shipping", STRONG, "几天到 几天能到 到货 收到货 没收到 运费 地址 偏远 预售 寄 能到"),
    ("shipping", ENOUGH, "新疆 西藏 内蒙 青海 海外 港澳 香港 台湾 国外"),
    ("complaint", ENOUGH, "没收到 没发货"),
    ("shipping", STRONG, "还没收到 还没发货 还不发货 还没到 快递员 能收到 待发货 发京东 京东物流"),
    ("shipping", STRONG, "还没发 加急 快点发 早点发 快发 尽快发 快点到 什么时候到 啥时候到 哪天到"),
    ("", 0.0, "扫地机器人"),
    ("complaint", STRONG, "还没发 慢得 一言难尽 劝退 敷衍 差太多 差很多 差好多 没反应 没回应"),
    ("complaint", STRONG, "没人管 玩意"),
    ("complaint", ENOUGH, "机器人"),
    ("complaint", 1.5, "要死"),
    ("price", HINT, "劝退"),
    ("complaint", CLEAR, "没更新 没动"),
    ("complaint", STRONG, "还没收到 还没发货 还不发货"),
    # stock — availability, sell-out, restocking, variants still on sale
    ("stock", STRONG, "有货 没货 无货 缺货 现货 补货 库存 售罄 卖完 没抢到 秒没 手慢 还有吗"),
    ("stock", STRONG, "还有没有 还剩 还有多少 会补 返场 加单 下架 还能拍 拍不了 断货"),
    ("stock", STRONG, "秒光 抢光 卖光 剩多少 还有没 断码 秒完 抢不到 上新 没了吗 就没了 放点货"),
    ("stock", STRONG, "多放 加货 货够 再上吗 会再上"),
    # the variants on sale: 有哪些颜色, 几种颜色, 什么色号
    ("stock", STRONG, "哪些颜色 哪些色号 哪些色 几种颜色 几个颜色 几个色 几种色 几个色号 多少颜色"),
    ("stock", STRONG, "什么颜色 啥颜色 哪几个颜色 哪几种颜色 有哪几种 有哪些款"),
    ("stock", STRONG, "又没了 又没货 又卖完 又断货 又抢光 又秒没"),
    ("complaint", ENOUGH, "又没了 又没货 又卖完 又断货 又抢光 又秒没"),
    ("how_to_buy", 1.5, "上架"),
    ("stock", HINT, "上架"),
    ("how_to_buy", STRONG, "求上架 快上架 上架了吗 哪下单 哪里下单 信用卡 微信支付 支付宝"),
    ("how_to_buy", STRONG, "付款方式 白条 定金 订金 尾款"),
    ("complaint", CLEAR, "点不开 进不去 付不了 拍不下"),
    ("after_sales", STRONG, "坏了包 坏了能 坏了可以 坏了怎么"),
    ("stock", 1.5, "没了"),
    ("shipping", HINT, "现货"),
    # quality — material, composition, workmanship, durability, taste, effect
    ("quality", STRONG, "质量 材质 面料 材料 做工 纯棉 真皮 实木 起球 掉色 褪色 缩水 透气 耐用"),
    ("quality", STRONG, "异味 味道 口感 成分 含量 绒量 保质期 过敏 敏感肌 酒精 不粘 好用吗 效果"),
    ("quality", STRONG, "防水 变形 掉毛 涂层 羊毛 羊绒 真丝 蚕丝 涤纶 聚酯 不锈钢 陶瓷 硅胶 全棉"),
    ("quality", STRONG, "棉麻"),
    ("quality", STRONG, "亚麻 雪纺 皮质 用料 扎实 保温 保暖 续航 噪音 静音 耐穿 耐磨 怪味 甲醛"),
    ("quality", STRONG, "添加剂"),
    ("quality", STRONG, "防腐剂 热量 卡路里 变质 发霉 过期 真伪 送人 送礼 送长辈 买过吗 用过吗"),
    ("quality", STRONG, "吃过吗"),
    ("quality", STRONG, "用过的 买过的 不掉色 不起球 不缩水 不变形 不过敏 不粘"),
    ("praise", 1.5, "不掉色 不起球 不缩水 不变形 不过敏 不掉渣"),
    ("praise", ENOUGH, "扎实"),
    ("quality", STRONG, "变黄 发黄 长痘 闷痘 致痘 防晒 纯铜 清洗 好洗 机洗 水洗 手洗 含糖 料子"),
    ("quality", STRONG, "天然 刺激吗 刺激性 无刺激 不刺激 有刺激"),
    ("quality", STRONG, "补水 保湿 美白 控油 祛痘 遮瑕 持妆 持久 显色 暖和"),
    ("quality", STRONG, "钻绒 新鲜 打蜡 生产日期 新日期 屏幕 清晰 画质 音质 电池 护眼 硅油 蛋白质"),
    ("quality", STRONG, "纸张 适合几岁"),
    (
        "quality",
        STRONG,
        "质感 手感 触感 垂感 布料 现做 现烤 现炸 现摘 现磨 新货 陈货 手工 足金 纯金",
    ),
    ("quality", STRONG, "纯银 含金量 伤发 伤头发 伤皮肤 伤手 伤眼 伤胃 伤锅 毛躁 顺滑 柔顺 很顺"),
    ("quality", STRONG, "好顺 不毛躁 会不会过敏 容易过敏 会过敏吗 过敏吗 敏感肌能 不掉渣"),
    (
        "quality",
        STRONG,
        "岁用 岁戴 岁吃 老人用 老人吃 小孩用 小孩吃 宝宝用 宝宝吃 儿童用 显黑 显胖",
    ),
    (
        "quality",
        STRONG,
        "显老 没坏 没坏过 都没坏 耐脏 磨脚 累脚 闷脚 挤脚 夹脚 不磨脚 不累脚 不闷脚",
    ),
    ("quality", STRONG, "不挤脚 没有异味 没异味 无异味 没味道 新不新鲜"),
    ("praise", STRONG, "没坏 没坏过 都没坏 顺滑 柔顺 很顺 好顺 不毛躁 不磨脚 不累脚 不闷脚 不挤脚"),
    ("praise", 1.5, "没有异味 没异味 无异味 没味道"),
    ("complaint", ENOUGH, "显黑 显胖 显老 磨脚 累脚 闷脚 挤脚 夹脚 毛躁"),
    # defects a viewer found: a bad face, a bad taste, a bad batch
    (
        "quality",
        STRONG,
        "烂脸 爆痘 长闭口 闭口 刺痛 泛红 辣眼睛 搓泥 卡粉 脱妆 起皮 掉渣 拔干 假白",
    ),
    ("quality", STRONG, "紧绷 开胶 脱胶 开线 脱线 掉漆 生锈 破洞 起毛 变薄 薄了 好薄 太薄 很薄"),
    ("quality", STRONG, "临期 快过期 过期了 坏的 烂的 有坏的 发霉了 变质了 吃出 异物 头发丝 虫子"),
    (
        "quality",
        STRONG,
        "简陋 粗糙 劣质 廉价感 臭味 霉味 哈喇味 刺鼻 味道大 味道好大 味道很大",
    ),
    ("quality", STRONG, "味道重 味道太重 吃着 用着 闻着 喝着 摸着"),
    (
        "complaint",
        STRONG,
        "烂脸 爆痘 长闭口 刺痛 泛红 辣眼睛 搓泥 卡粉 脱妆 起皮 掉渣 拔干 假白 开胶",
    ),
    (
        "complaint",
        STRONG,
        "脱胶 开线 脱线 掉漆 生锈 临期 快过期 过期了 发霉了 变质了 吃出 异物 虫子",
    ),
    ("complaint", STRONG, "简陋 粗糙 劣质 廉价感 刺鼻 恶心 齁"),
    (
        "complaint",
        ENOUGH,
        "紧绷 破洞 起毛 变薄 薄了 好薄 太薄 坏的 烂的 有坏的 烂了 怪味 臭味 霉味",
    ),
    ("complaint", ENOUGH, "哈喇味 味道大 味道好大 味道很大 味道重 味道太重"),
    ("quality", CLEAR, "吃起来 用起来 摸起来 闻起来 喝起来 穿起来"),
    ("", 0.0, "丑橘 干净 垃圾桶 垃圾袋 垃圾分类 干垃圾 湿垃圾"),
    ("quality", ENOUGH, "结实 黄皮 油皮 干皮 坏了 安全 用过 指数"),
    ("quality", HINT, "适合 色号 薄"),
    ("complaint", ENOUGH, "过敏 坏了 薄"),
    ("complaint", 1.5, "一般"),
    ("complaint", STRONG, "质量一般 做工一般 效果一般 味道一般 很一般 太一般 一般般 不喜欢 不满意"),
    ("complaint", STRONG, "不舒服 不好用 不好吃 不划算 不值"),
    ("quality", STRONG, "质量一般 做工一般 效果一般 味道一般"),
    # authenticity — genuine goods, official channels, anti-counterfeit checks
    ("authenticity", STRONG, "正品 正货 真货 假货 高仿 a货 仿品 保真 防伪 官旗 专柜 授权 验货"),
    ("authenticity", STRONG, "吊牌 原装 品牌方 假一赔 验真 溯源 买到假"),
    ("authenticity", CLEAR, "官方 旗舰店 假的 代购"),
    ("authenticity", STRONG, "担心买到假 怕买到假 真伪 不是假货 直营 质检 仿的 原厂 正版 盗版"),
    (
        "authenticity",
        STRONG,
        "正宗 水货 翻新 山寨 国行 港版 美版 日版 官换 未激活 全新未拆 二手 展示机",
    ),
    ("authenticity", STRONG, "证书 鉴定 检测报告 产地 原产地 的是假的 的是仿的 的是假货"),
    ("complaint", ENOUGH, "买到假 的是假的 的是仿的 的是假货"),
    ("praise", ENOUGH, "不是假货 放心买"),
    # how_to_buy — the link, the cart, which item to pick, how to order and pay
    ("how_to_buy", STRONG, "链接 小黄车 购物车 怎么买 怎么拍 在哪拍 哪里拍 拍哪个 怎么下单 在哪买"),
    ("how_to_buy", STRONG, "哪里买 点哪 怎么付款 付款 花呗 分期 货到付款 备注 怎么抢"),
    ("how_to_buy", CLEAR, "能拍 可以拍"),
    ("how_to_buy", 1.5, "几号"),
    # which item to pick ("油皮选哪个"); between two named options it is also a comparison
    ("how_to_buy", STRONG, "选哪个 选哪款 买哪个 买哪款 用哪个 要哪个 拿哪个 入哪个 拍哪款 是几号"),
    ("how_to_buy", STRONG, "先拍后付 先用后付 能付 可以付 付不了 zfb 云闪付 微信付 怎么支付"),
    ("", 0.0, "今天是几号 明天是几号"),
    # after_sales — returns, exchanges, guarantees, invoices, customer service
    ("after_sales", STRONG, "退货 退款 能退 可以退 还能退 包退 退换 换货 包换 可以换 能换 退了"),
    ("after_sales", STRONG, "不退"),
    ("after_sales", STRONG, "七天无理由 无理由 运费险 售后 保修 质保 价保 发票 客服 破损 申请退"),
    ("after_sales", STRONG, "退货运费 保价 退运费"),
    ("after_sales", CLEAR, "找谁"),
    ("after_sales", STRONG, "退货地址 寄回 换新 少了一件 少发 漏发 发错 不到账 运费谁出"),
    ("after_sales", CLEAR, "划痕 磕碰 瑕疵 污渍 少件"),
    ("complaint", CLEAR, "划痕 磕碰 瑕疵 污渍 少件"),
    ("after_sales", 1.5, "怎么办"),
    ("after_sales", STRONG, "到账 什么时候到账 啥时候到账 多久到账"),
    (
        "after_sales",
        STRONG,
        "包赔 赔付 理赔 赔偿 坏果 烂果 联保 怎么处理 给个说法 给说法 退钱 不给退",
    ),
    ("after_sales", STRONG, "不给换 压坏 压扁 摔坏 摔碎 漏液"),
    ("complaint", STRONG, "压坏 压扁 摔坏 摔碎 漏液 退钱 不给退 不给换 不认 不认账 不承认 踢皮球"),
    ("complaint", STRONG, "推卸"),
    ("complaint", STRONG, "少了一件 少发 漏发 发错 不到账"),
    # a condition, not a complaint: "不满意可以退吗"
    ("after_sales", STRONG, "不满意可以 不满意能 不满意包 不喜欢可以 不喜欢能 不合适可以 不合适能"),
    (
        "after_sales",
        STRONG,
        "不合适包 质量不好能 质量不好可以 质量有问题能 质量有问题可以 质量不好包",
    ),
    ("quality", STRONG, "质量不好能 质量不好可以 质量有问题能 质量有问题可以 质量不好包"),
    ("complaint", ENOUGH, "破损"),
    # comparison — against another product, variant, brand, shop or channel
    ("comparison", STRONG, "区别 对比 哪个好 哪个更 哪款 有什么不一样 有啥不同 不同 一样吗"),
    ("comparison", STRONG, "哪个好吃 哪个耐 哪个显"),
    ("quality", STRONG, "哪个好吃 哪个耐 哪个显"),
    ("comparison", STRONG, "差在哪 别家 别的直播间 哪个划算 哪个便宜 哪个适合 哪个值"),
    ("comparison", CLEAR, "拼多多 淘宝 京东 天猫 超市 李佳琦 上一款 上一个 某宝 某东 某多多 某音"),
    ("comparison", STRONG, "比较一下 对比一下 比较下 比一比"),
    ("comparison", HINT, "比较"),
    ("comparison", STRONG, "哪个划算 哪个便宜 差多少"),
    ("comparison", 1.5, "怎么选"),  # with the options named: "两款面霜怎么选"
    ("comparison", CLEAR, "两款 线下 专卖店 实体店"),
    ("comparison", STRONG, "更好的 同价位"),
    ("comparison", 1.5, "外面 一个价 贵多了 更便宜"),
    # praise — positive opinion on product, deal or host; announcing a purchase
    ("praise", STRONG, "好看 漂亮 好用 好吃 喜欢 爱了 不错 满意 回购 已拍 拍了 已下单 下单了"),
    ("praise", STRONG, "已经下单 买它 绝绝子 yyds 真香 闭眼入 心动 精致 显白 舒服 宝藏 专业"),
    ("praise", STRONG, "好评 太棒 绝了 种草 抢到了 很好 真的好 好听 逼真 靠谱 牛逼 太牛 宝藏主播"),
    ("praise", STRONG, "支持主播 必须支持 支持一下 支持支持"),
    ("interaction", STRONG, "支持主播"),
    ("praise", STRONG, "爱吃 爱用 爱穿 超爱 很爱 好爱 还想吃 还想买 还会买 放心 不后悔 大气 豪爽"),
    ("praise", STRONG, "爽快 敞亮 不丑 颜色正 颜色很正 颜色超正"),
    ("", 0.0, "不放心"),
    ("praise", CLEAR, "冲 买了 期待 开心 入手 美丽"),
    ("praise", STRONG, "入了 安排上 变好 变白 变嫩 有效果 效果好 见效 又来买 又买了 再来一单 太会"),
    ("praise", CLEAR, "下次还来 还会再来"),
    ("interaction", CLEAR, "下次还来 还会再来"),
    ("praise", ENOUGH, "买过 有保障 推荐"),
    ("praise", STRONG, "真的香 杠杠 高级 推荐大家 好清楚 老顾客 一直用 好美 真美 好帅 真帅 精神"),
    ("praise", STRONG, "可爱 气质 颜值"),
    ("praise", STRONG, "还行 挺好 蛮好 挺不错 精细 细致 已买 已入 便宜好多"),
    ("praise", CLEAR, "好甜"),
    ("price", STRONG, "便宜好多"),
    ("", 0.0, "比专柜 比官方 比旗舰店 比官旗 紧张 高贵 不同步 刺激消费"),
    ("complaint", CLEAR, "不买了"),
    ("praise", HINT, "讲得 支持"),
    ("quality", CLEAR, "好吃吗 舒服吗"),
    # complaint — dissatisfaction with product, service, host or deal
    ("complaint", STRONG, "垃圾 骗 差评 太差 态度差 货不对板 图片不一样 虚假 拖时间 废话 难用"),
    ("complaint", STRONG, "难吃 难看 不好看 智商税 坑 失望 翻车 踩雷 上当 不给说法 不回消息"),
    ("complaint", STRONG, "不回复 没人处理"),
    ("complaint", 1.5, "不回"),
    ("complaint", STRONG, "没人理 太慢 慢死 别买 不行 怎么还没 离谱 太次 次品 没用 用都没有"),
    ("complaint", STRONG, "打不通 不通"),
    ("complaint", STRONG, "念稿 听不清 卡了 卡顿 声音小 声音好小 很差 真差 好差 太假 怪怪 等好久"),
    ("complaint", STRONG, "领不了 用不了 打不开"),
    (
        "complaint",
        STRONG,
        "后悔 后悔买 买了后悔 气死 气人 好气 真气 骗子 差劲 丑 好土",
    ),
    ("complaint", STRONG, "有点土 太土 很土 土气 老气 太少 好少 少得可怜 这么少 就这么点 怎么又"),
    ("complaint", STRONG, "什么破 卡死 好卡 太卡 很卡 卡成 太吵 好吵 很吵 吵死 别念 别拖 别磨叽"),
    (
        "complaint",
        STRONG,
        "别墨迹 别啰嗦 别吹了 别演了 卖关子 吊胃口 浪费时间 讲半天 说半天 拖拖拉拉",
    ),
    ("complaint", STRONG, "能不能别 可不可以别 能不能快点"),
    ("complaint", ENOUGH, "没中 没抽中 还没开始 还不开始"),
    ("interaction", STRONG, "卡死 好卡 太卡 很卡 卡成 卖关子 吊胃口 讲半天 说半天 别念 还没开始"),
    ("interaction", STRONG, "还不开始 破直播"),
    ("complaint", CLEAR, "差了 差 破了"),
    ("complaint", STRONG, "难闻 破东西 买亏 亏了 描述不符 和描述"),
    ("complaint", HINT, "不一样"),
    ("complaint", 1.5, "好久"),
    ("complaint", 1.5, "还没"),
    ("complaint", HINT, "根本 等了 说法 不好"),
    # interaction — greetings, arrivals, check-ins, call-and-reply, cheers, talk about the stream
    ("interaction", STRONG, "主播好 晚上好 早上好 中午好 下午好 大家好 你好 来了 来啦 刚来 进来了"),
    (
        "interaction",
        STRONG,
        "刚进来 第一次来 打卡 下播 几点播 还播 回放 欢迎 笑死 笑不活 笑疯 笑哭",
    ),
    # engagement that is small talk only beside no shopping concern or opinion (see @social)
    ("@social", STRONG, "点赞 关注了 哈哈 嘿嘿 点关注 关注一下"),
    ("@social", STRONG, "什么时候开始 几点开始"),
    ("@social", CLEAR, "关注 滴滴 👏 👍 ❤ 🌹 😂 🤣 😍 😘 💕 😁 😄"),
    ("interaction", STRONG, "背景音乐 bgm ai主播 虚拟主播 数字人 真人 辛苦了 晚安 拜拜 走了"),
    ("interaction", STRONG, "有人吗 还有人 讲慢 讲到哪 嗓子 看我 叫什么名字 奥利给 好耶 主播呢"),
    ("interaction", STRONG, "退出直播间 宝藏主播 老粉 粉丝 喝口水 喝水 休息 加油"),
    ("interaction", STRONG, "来晚了"),
    ("interaction", STRONG, "生意兴隆 刚进 卖的是啥 卖的什么 在卖什么 讲的什么 讲的啥 念稿 听不清"),
    ("interaction", STRONG, "卡了 卡顿"),
    ("interaction", STRONG, "声音小 声音好小"),
    ("interaction", CLEAR, "祝"),
    ("interaction", CLEAR, "快乐"),
    ("interaction", 1.5, "声音"),
    ("interaction", HINT, "讲得"),
    ("interaction", STRONG, "哈喽 谢谢主播 感谢 谢谢 火箭 礼物 小心心 灯牌 粉丝团 哇哦 有人在"),
    ("interaction", STRONG, "心情"),
    ("interaction", CLEAR, "歌 几岁"),
    ("interaction", STRONG, "来看你 又来看 嗨"),
    ("interaction", CLEAR, "背景"),
    ("complaint", STRONG, "不理人 水时间 磨叽 墨迹 啰嗦 黑屏"),
    ("interaction", ENOUGH, "黑屏"),
    # the host or the stream is mentioned: interaction when no shopping concern is (see HOST)
    ("@host", 0.0, "主播 直播间 主持人 老板"),
    # spam: ads that point outside the room, beyond the signals of livelens.comments.spam
    ("spam", STRONG, "橱窗 我头像 我主页 零花钱 日入 月入 打字员 招聘 手机就能 在家就能 代拍"),
    ("spam", STRONG, "赚钱群 加line 加tg 飞机号 副业 手工活 宝妈兼职 免费领取"),
    # How viewers phrase quality problems and complaints without the words above: regret and
    # waste (白买了, 买了个寂寞), the goods unlike the listing (和描述不符, 跟图片差距), defects of
    # food, clothes, cosmetics and gadgets, and stream complaints (看不清, 话太多, 不回答).
    ("complaint", STRONG, "白买 买了个寂寞 白花钱 浪费钱 交智商税 割韭菜 再也不买 再也不来 一生黑"),
    ("complaint", STRONG, "避雷 不推荐 给差评 不会再买 不值这个价 不值这价 上当了 凑数 无语"),
    ("complaint", STRONG, "坑人 坑爹 醉了 拉黑 取关 被骗 骗人 忽悠 套路 不回答 不理 没人回"),
    ("complaint", STRONG, "话太多 话好多 废话多 太啰嗦 看不清 太暗 太远 没精神 状态不好 不专业"),
    ("interaction", STRONG, "话太多 话好多 废话多 看不清 拉近 镜头 没精神 状态不好"),
    ("quality", STRONG, "做工粗糙 做工差 做工不好 质量差 质量不好 质量太差 质量不行 假货感 塑料感"),
    (
        "complaint",
        STRONG,
        "做工粗糙 做工差 做工不好 质量差 质量不好 质量太差 质量不行 假货感 塑料感",
    ),
    ("complaint", ENOUGH, "不符 跟图片 和图片 跟图 和图 差距"),
    ("quality", STRONG, "空壳 干瘪 不饱满 碎渣 缺斤少两 分量不足 分量少 短斤 缺斤 不新鲜 没熟"),
    ("quality", STRONG, "透肉 透光 走光 静电 扎人 版型 线头 走线 起皱 容易皱 软糯 厚实 厚度 加绒"),
    # asked, not found: "会不会油腻", "起不起皱"
    ("quality", STRONG, "起不起皱 会不会油腻 油不油腻 会不会起皱 会不会扎 会不会起静电 会不会掉毛"),
    ("complaint", STRONG, "空壳 干瘪 不饱满 碎渣 缺斤少两 分量不足 分量少 短斤 缺斤 不新鲜"),
    ("complaint", STRONG, "透肉 透光 走光 起静电 扎人 线头 起皱 浮粉 斑驳 不服帖 黏腻 油腻"),
    ("complaint", STRONG, "软便 拉稀 不爱吃 咬不动 没味 寡淡 发酸 酸死 咸死 苦死"),
    ("quality", STRONG, "软便 拉稀 不爱吃 适口性 咬不动 寡淡 发酸 酸死 咸死 苦死 粉尘 掉毛"),
    ("quality", STRONG, "哑光 水光 水润 滋润 妆感 上脸 肤感 吸收 服帖 浮粉 斑驳 黏腻 油腻"),
    ("quality", STRONG, "有香味 有气味 香味重 香味大 香味浓 气味大 什么香味 香精 甜度 糖度"),
    ("quality", STRONG, "多汁 汁水 新米 陈米 明前 当季 口味 酒精度"),
    ("quality", STRONG, "防风 多少度 拍照 发热 发烫 信号 防抖 降噪 耐摔 防摔"),
    ("quality", STRONG, "镀金 镀银 化纤 羽绒 鸭绒 鹅绒 牛皮 羊皮 头层 合金"),
    ("quality", STRONG, "能放多久 放多久 保存多久 能放几天 放几天 保鲜 多久能熟 几天能熟 怎么保存"),
    ("quality", STRONG, "真的好用吗 真的好吃吗 真的有效吗 真的有用吗 好不好用 好不好吃 好用不"),
    ("quality", STRONG, "quality 冷不冷 热不热 声音大吗 声音大不大 噪音大 吵不吵 有没有味"),
    ("quality", ENOUGH, "烂了"),
    ("", 0.0, "冲锋衣 冲锋 冲泡 冲调 冲洗 冲奶 冲击 羽绒服"),
    (
        "quality",
        STRONG,
        "会不会卡粉 会不会脱妆 会不会搓泥 会不会闷痘 齁咸 齁甜 好冲 太冲 很冲 冲鼻 印刷",
    ),
    ("complaint", STRONG, "齁咸 齁甜 好冲 太冲 很冲 冲鼻"),
    ("quality", STRONG, "一个味 一样的味 味道一样 一个味道 缓震 回弹 抓地"),
    ("quality", ENOUGH, "模糊"),
    ("complaint", ENOUGH, "模糊"),
    ("size", STRONG, "圈号 增高 几斤 多少斤"),
    ("stock", STRONG, "再上一波 加库存 再上点 多上点 再来一波"),
    ("stock", STRONG, "又没抢到 又抢不到 刚上就没 一上就没"),
    ("complaint", STRONG, "又没抢到 又抢不到 刚上就没 一上就没"),
    ("discount", STRONG, "抽到了 抽到"),
    ("shipping", STRONG, "出货 改地址"),
    ("after_sales", STRONG, "还没到账 没到账 补差价 退差价"),
    ("complaint", STRONG, "还没到账 没到账"),
    ("price", STRONG, "补差价 退差价 专柜价 官网价 官方价 旗舰店价 价差"),
    ("comparison", STRONG, "专柜价 官网价 官方价 旗舰店价 价差"),
    ("comparison", CLEAR, "淘宝旗舰店 天猫旗舰店 京东旗舰店"),
    ("praise", STRONG, "亲切"),
    ("", 0.0, "拍了能 拍了可以 拍了多久 拍了几天 买了能 买了可以 下单了能"),
    # general phrasing of live-commerce viewers (2026-11-29), written from the domain, not a round
    ("quality", STRONG, "容易坏 耐不耐用 能用几年 用几年 寿命 什么料 弹力 弹性 伸缩 抗皱 免烫"),
    (
        "quality",
        STRONG,
        "防紫外线 吸汗 速干 排汗 快充 待机 流畅 耗电 省电 难清洗 好打理 难打理",
    ),
    ("quality", STRONG, "有籽 无籽 核大 核小 皮薄 肉厚 汁多 水分足 水分 氧化 温和 无香 留香 持香"),
    ("quality", STRONG, "起球了 掉色了 褪色了 缩水了 变形了 开线了 掉毛了 起毛了 生锈了 漏水 坏掉"),
    ("quality", STRONG, "不亮了 不转了 充不进电 开不了机 死机 什么质量 啥质量 这质量 这做工 一股"),
    ("quality", STRONG, "不耐用 不结实 不实用 显瘦吗 显高吗 显瘦不"),
    (
        "complaint",
        STRONG,
        "起球了 掉色了 褪色了 缩水了 变形了 开线了 掉毛了 起毛了 生锈了 漏水 坏掉",
    ),
    ("complaint", STRONG, "不亮了 不转了 充不进电 开不了机 死机 难喝 难穿 不好喝 不好穿 不好闻"),
    (
        "complaint",
        STRONG,
        "不耐用 不结实 不实用 鸡肋 买家秀 卖家秀 态度不好 态度太差 服务差 服务太差",
    ),
    ("complaint", STRONG, "黑心 黑店 奸商 收智商税 投诉 举报 不值这个钱 已退 一股"),
    ("complaint", CLEAR, "什么质量 啥质量 这质量 这做工"),
    ("complaint", ENOUGH, "退了"),
    ("after_sales", STRONG, "已退 维修 返修 延保 能修 修吗 拒收"),
    ("after_sales", CLEAR, "投诉"),
    ("how_to_buy", STRONG, "加购 加车 加入购物车 第几个 找不到链接 搜不到"),
    ("discount", STRONG, "首单 新人价 新客 新人专享"),
    ("stock", STRONG, "还剩几 剩几 还会上 下次什么时候 还会有吗 还有机会"),
    (
        "shipping",
        STRONG,
        "发货地 从哪发 哪里发 次日达 当日达 隔日达 催发货 揽收 签收 派送 配送 包裹",
    ),
    ("authenticity", STRONG, "假不假 鉴别 防伪码 能验"),
    ("comparison", CLEAR, "升级版 升级款 老款 旧款 同一款 一样的吗"),
    ("praise", STRONG, "囤了 囤货 必囤 必买 无限回购 绝美 太赞 好赞 超赞 很赞"),
    ("interaction", STRONG, "好多人"),
    ("spam", STRONG, "私聊我 进群 拉群"),
    # a taste, smell, dust or noise to excess: "好咸", "粉尘好大", "味道太重" (phrases, not a
    # pattern: 好 starts too many comments for a look-ahead to be tried at each)
    ("quality", STRONG, _TOO_STRONG),
    ("complaint", STRONG, _TOO_STRONG),
    # how_to_buy: abbreviations, ordering failures, claiming a coupon or a prize, which colour
    ("how_to_buy", STRONG, "lj link 号链接 怎么上车 咋买 咋拍 咋下单 在哪里买 哪个链接"),
    ("how_to_buy", STRONG, "显示失败 下单失败 付款失败 支付失败 拍不上 下不了单"),
    ("how_to_buy", STRONG, "哪个颜色好看 哪个色好看 什么颜色好看"),
    ("complaint", STRONG, "显示失败 下单失败 付款失败 支付失败 拍不上 下不了单"),
    # price and promotions spoken of loosely
    ("price", STRONG, "开价 报价 骨折价 白菜价 地板价 跳楼价 亏本价 清仓价 捡漏"),
    ("discount", STRONG, "骨折价 白菜价 地板价 跳楼价 亏本价 清仓 捡漏 等降价 等活动 等优惠"),
    ("praise", STRONG, "骨折价 白菜价 捡漏"),
    ("price", STRONG, "等降价"),
    ("size", STRONG, "size"),
    ("after_sales", STRONG, "怎么赔 能赔 赔吗 赔不赔 补发 补寄 重发"),
    # ads that point to the poster's page, a side business, loans or follower sales
    ("spam", STRONG, "看我作品 我作品 看简介 看我简介 私信详谈 私信我 联系我 砍一刀 帮我砍 帮我点"),
    ("spam", STRONG, "代发 涨粉 买粉 刷粉 贷款 无抵押 秒批 网贷 外贸原单 尾货 一手货源"),
    # Phrasing families found in the errors of rounds G and H (2026-11-29), written as families
    # (counts and dimensions, sensations and side effects, sarcasm and broken promises, trust and
    # "better than expected", payment and delivery options), each checked against the real chat.
    # size: counts and dimensions asked ("长宽高", "能睡几个人"), a size sold out
    ("size", STRONG, "长宽高 多少号 能睡几 睡几个 坐几个 几个人睡 几个人坐 几人睡 几人坐 断码"),
    ("how_to_buy", STRONG, "多少号链接 在几号 第几号 几号链接"),
    # quality: properties asked, sensations, side effects and durability in use
    ("quality", STRONG, "耐热 耐高温 耐低温 耐寒 乳化 吸力 承重 内衬 防滑 配方 年份 几年的 几度"),
    ("quality", STRONG, "存放 放几年 能放几年 戴久了 穿久了 用久了 坐久了 会胖 长胖 发胖 上火"),
    ("quality", STRONG, "红屁屁 起疹子 疹子 晕染 晕妆 熊猫眼 气泡 坏点 有毒 塑料味 辣嗓子 耳朵疼"),
    ("quality", STRONG, "不头疼 头疼 年级能 年级可以 岁能 岁可以"),
    ("complaint", STRONG, "红屁屁 起疹子 晕染 晕妆 熊猫眼 气泡 坏点 有毒 塑料味 辣嗓子 头疼"),
    ("praise", STRONG, "不头疼"),
    # complaint: sarcasm and rhetoric, broken promises, waiting, the host's talk
    ("complaint", STRONG, "抢钱 黑箱 很扯 太扯 好扯 扯淡 冤种 凭什么 仅供参考 什么态度"),
    ("complaint", STRONG, "好慢 很慢 真慢 巨慢 超慢 又不发 就是不发 一直不发 不发货 都不回"),
    ("complaint", STRONG, "不回讯息 不回信息 绕半天 绕来绕去 扯半天 等半天 只讲优点 只说优点"),
    ("complaint", STRONG, "不讲缺点 僵硬 好僵 太僵 很僵 手速不够 手速太慢 抽不中 根本不是"),
    ("complaint", STRONG, "拍完就降价 买完就降价 拍完就降 买完就降 薄得 碎末"),
    ("price", STRONG, "拍完就降价 买完就降价 抢钱"),
    ("discount", STRONG, "抽不中"),
    ("complaint", HINT, "说好的"),
    (
        "complaint",
        STRONG,
        "有点慢 快递慢 物流慢 发货慢 还没开价 还不报价 不报价 不算数 不算话 味道不对",
    ),
    ("complaint", CLEAR, "怀疑"),
    ("price", STRONG, "还没开价 还不报价 不报价 买贵了"),
    ("comparison", STRONG, "买贵了"),
    ("shipping", STRONG, "快递慢 物流慢 发货慢"),
    ("quality", STRONG, "味道不对 机芯 925银 s925"),
    ("authenticity", STRONG, "怀疑是假"),
    ("stock", STRONG, "送完了 送完"),
    ("praise", CLEAR, "nice"),
    # product properties by category, written from the domain (food, beauty, clothes, gadgets,
    # home), and the defects viewers report in them
    ("quality", STRONG, "肉质 果肉 果径 熟度 脆甜 筋道 劲道 嚼劲 腥味 膻味 鲜甜 肥瘦 酸度"),
    ("quality", STRONG, "质地 延展性 成膜 提亮 暗沉 含棉量 克重 充绒量 蓬松 掉绒 跑绒 钻毛"),
    ("quality", STRONG, "充电速度 充电快 兼容 刷新率 分辨率 防霉 防潮 隔音 遮光 易清洗 不沾"),
    ("quality", STRONG, "发臭 有腥味 腥味重 烂心 空心 干巴 不甜 苦涩 发软 缩水严重 甜不甜"),
    ("complaint", STRONG, "掉绒 跑绒 钻毛 发臭 有腥味 腥味重 烂心 干巴 不甜 苦涩 缩水严重"),
    ("quality", STRONG, "薄得 碎末 回甘 不扎 泡着"),
    ("comparison", CLEAR, "好几个牌子 好多牌子 很多牌子"),
    ("complaint", CLEAR, "不敢给 不敢用 不敢吃"),
    ("interaction", STRONG, "绕半天 绕来绕去 扯半天"),
    ("shipping", STRONG, "又不发 就是不发 一直不发 不发货"),
    ("stock", STRONG, "手速不够 手速太慢 限量 有几种 有哪几种 有多少种"),
    # praise: better than expected, trust, worth it, much better
    ("praise", STRONG, "超出预期 超预期 比想象中好 比想象的好 比预期好 没得说 没话说"),
    ("praise", STRONG, "买得值 划得来 信任 最好用 最好吃 强多了 好多了 不骗人 没骗人"),
    ("price", STRONG, "买得值 划得来"),
    # interaction: watching the stream, cheering, the host as an AI
    ("interaction", STRONG, "开播 看直播 看热闹 看到现在 牛牛 是ai 是真人"),
    # how_to_buy: payment and ordering options
    ("how_to_buy", STRONG, "月付 单独买 单买 单独拍 分开拍 一起拍 拍两次"),
    # discount, shipping, after_sales, authenticity, comparison: other names for known things
    ("discount", STRONG, "国补 国家补贴 拍一发二 拍一发三 买一发二 discount 抽个奖 没中 没抽中"),
    ("shipping", STRONG, "ship shipping 取货 超商 自提 送上门 驿站 不送上门 运费谁出 退货运费"),
    ("complaint", STRONG, "不送上门"),
    ("after_sales", STRONG, "保固 专票 开票 普票 开发票 假一赔"),
    ("authenticity", STRONG, "真金 真银 原瓶 序列号 验机"),
    ("comparison", CLEAR, "虾皮 几个牌子 别的牌子 其他牌子 新版 旧版"),
    ("comparison", STRONG, "一样的才 同款才 同样的才"),
    ("price", STRONG, "一半价 才一半"),
    (
        "spam",
        STRONG,
        "加薇 微信同名 v同名 需要的滴滴 需要滴滴 闲鱼搜 搜我 在家可做 一天两三百 一天几百",
    ),
    # blockers: contain a cue but mean something else
    ("", 0.0, "气泡音 真金白银"),
    ("", 0.0, "钱包 号码 密码 二维码 码住 撤退 退出 贵州 宝贵 富贵 真的假的 冲突 买了什么 坑位"),
    ("", 0.0, "今天几号 好几 几乎 下单 好看吗 差不多 牛肉 牛奶 牛仔 买了没 拍了没 拍了怎么"),
    ("", 0.0, "买了怎么"),
)

_DIGITS: Final = "0123456789"
_NUMERALS: Final = "一二三四五六七八九十百千两"
_TASTES: Final = "甜辣咸酸苦香臭软硬厚薄腻脆嫩凉热闷暖烫重沉滑黏粘冰扎冷透吵"
_DEFECTS: Final = "掉起褪缩变漏裂皱卡"

# (starts, regular expression, {label: weight}). Patterns look ahead without consuming text, so
# the phrases inside them still count. ``starts`` lists the characters a match can begin at: only
# those positions are tried, with only the patterns that can start there (a test checks the
# lists). At one position only the first matching pattern counts; the patterns sharing a start
# are written to be exclusive.
PATTERN_CUES: Final[tuple[tuple[str, str, dict[str, float]], ...]] = (
    # price: "99元" (also "99米"/"99块" after normalization), "100以内", "卖89", "九块九",
    # "299也太…"
    (_DIGITS, r"(?<![\d.])\d+(?:\.\d+)?元", {"price": CLEAR}),
    (
        _DIGITS + _NUMERALS,
        rf"(?<![\d{_NUMERALS}])[\d{_NUMERALS}]+(?:元|块)?以[内下]",
        {"price": STRONG},
    ),
    ("卖", r"卖\d+", {"price": CLEAR}),
    (_NUMERALS, rf"[{_NUMERALS}]+块[一二三四五六七八九]?(?!钱)", {"price": CLEAR}),
    # "拍38还是39": a choice between two shoe sizes (before the price look-ahead below)
    (_DIGITS, r"(?<![\d.])[34]\d还是[34]\d(?![\d.])", {"size": STRONG}),
    (_DIGITS, r"(?<![\d.])\d{2,5}(?=也|还|都|就|才)", {"price": 1.5}),
    # "9.9包邮": a price with free delivery
    (_DIGITS, r"(?<![\d.])\d+\.\d+包邮", {"price": CLEAR}),
    # "价多少", "专属价是多少": a (promotional) price asked; "价格可以", "这价位还行": judged fine
    ("价", r"价[格钱位]?(?:是|为)?多少", {"price": STRONG}),
    (
        "价",
        r"价[格钱位]?(?:也|还|真|挺|很|太|蛮|是真)?(?:可以|合适|实惠|良心|美丽|香|ok|还行|不错)"
        r"(?![吗不么?])",
        {"praise": STRONG},
    ),
    ("价", r"价[格钱位]?[^,.!?。，]{0,8}买不到", {"praise": STRONG}),  # a deal found nowhere else
    # "性价比真的高": the price-performance judged
    (
        "性",
        r"性价比(?:真的|真|很|超|挺|特别|非常|蛮|好|也|还|是真的)?高(?![吗不么])",
        {"praise": STRONG},
    ),
    ("满", r"满\d+减", {"discount": STRONG}),
    (_DIGITS + "一二三四五六七八九几", r"[\d一二三四五六七八九几]折", {"discount": STRONG}),
    ("加", r"加\d+单", {"stock": STRONG}),
    # "我要三号", "拍2号": the item picked by its link number (not a shoe size: 36号)
    (
        "要拍买选来",
        r"(?:要|拍|买|选|来)(?:[1-9]|[12]\d|[一二三四五六七八九十]{1,2})号(?![码鞋\d])",
        {"how_to_buy": STRONG},
    ),
    # size: size letters or numbers with 码, body measures, metres, counts of content
    ("xsml" + _DIGITS, r"(?<![a-z\d])(?:x{0,3}[sml]|[2-6]xl|xs|\d{2})码", {"size": STRONG}),
    (
        _DIGITS,
        r"(?<![\d.])\d+(?:\.\d+)?(?:斤|kg|公斤|cm|厘米|mm|ml|g|克|寸)(?![a-z])",
        {"size": STRONG},
    ),
    (
        _DIGITS + "一两",
        r"(?<![\d.])\d(?:\.\d)?米\d?|[一两]米[一二三四五六七八九]",
        {"size": STRONG},
    ),
    (
        "几多",
        r"(?:几|多少)(?:厘米|cm|寸|片|颗|抽|张|卷|包(?!邮)|袋|支|粒|瓶|罐|盒|条|只|根|毫升|升|克|g|ml|kg"
        r"|斤装|个装|本|套|两(?!个)|米(?!饭)|层|双)",
        {"size": STRONG},
    ),
    ("大小", r"[大小]一点的|[大小]号", {"size": STRONG}),
    # "穿37", "穿s": the size a viewer wears
    ("穿", r"穿(?:\d{2}(?![\d.])|x{0,3}[sml](?![a-z])|[2-6]xl|xs)", {"size": STRONG}),
    # "m码刚好", "穿s正好": the size fits
    ("刚正", r"(?<=[码sml穿的])(?:刚刚好|刚好|正好)", {"praise": STRONG}),
    # shipping: 发 after a time or a possibility ("明天发", "能发", "多久发"), not 发票/发福袋
    (
        "能可今明当天小时啥几马先多何",
        r"(?:能|可以|今天|明天|当天|天内|小时内|时候|啥时|几天|马上|先|多久|几号|几点|何时)"
        r"发(?![票福红券个链])",
        {"shipping": STRONG},
    ),
    # "物流好快", "发货真快": delivery praised
    (
        "物发快到送",
        r"(?:物流|发货|快递|到货|送货)(?:也|真|好|很|超|挺|特别|蛮|真的)?(?:快|迅速|给力)(?![吗不么啊?])",
        {"praise": STRONG},
    ),
    # stock: a colour or size still there or gone
    ("有", r"有(?:没有)?[米藏卡驼墨]?[黑白红粉蓝绿灰紫黄棕咖杏]色", {"stock": STRONG}),
    (
        "还",
        r"还有(?:x{0,3}[sml]|[2-6]xl|xs|\d{2,3})(?:码|号|的)?(?:吗|没|不|么)",
        {"stock": STRONG},
    ),
    ("颜色号", r"(?:颜色|色|号)(?:没了|没有了|断了|卖完)", {"stock": STRONG}),
    ("码", r"码(?:没了|没有了|断了|卖完)", {"stock": STRONG, "size": CLEAR}),
    # comparison: an explicit comparison with something else ("和X比", "比X便宜", "跟X一样吗")
    # "X和Y选哪个": a choice between two named options is a comparison, not which link to pick
    (
        "和跟与",
        r"[和跟与](?!照片|图片|描述|实物|宣传)[^,.!?。，]{1,10}选哪",
        {"comparison": STRONG, "how_to_buy": -STRONG},
    ),
    (
        "和跟与",
        r"[和跟与](?!照片|图片|描述|实物|宣传)[^,.!?。，]{1,10}"
        r"(?:比|一样吗|一个价|区别|不同|差|哪个|哪款|哪种)",
        {"comparison": STRONG},
    ),
    # against the listing ("比描述的小一圈", "比图片还好看") is no comparison with another product
    (
        "比",
        r"比(?:描述|图片|照片|宣传|实物|视频|介绍)[的里上中]?[^,.!?。，]{0,3}"
        r"(?:小|短|薄|差|少|丑|难看|旧|粗糙|不一样)",
        {"complaint": STRONG},
    ),
    ("比", r"比(?:描述|图片|照片|宣传|实物|视频|介绍|想象|预期)", {}),
    ("比", r"比[^,.!?。，]{1,8}贵", {"comparison": STRONG, "complaint": 1.5}),
    # "比超市便宜多了": a deal found better than elsewhere is praised too
    (
        "比",
        r"比[^,.!?。，]{1,8}便宜(?:多了|好多|一半|太多|不少|一大截)",
        {"comparison": STRONG, "praise": ENOUGH},
    ),
    (
        "比",
        r"比[^,.!?。，]{1,10}(?:便宜|好|强|差|值|低|实惠|划算|怎么样|如何)",
        {"comparison": STRONG},
    ),
    ("哪", r"哪个[^,.!?。，]{0,4}(?:更|高|值|划算|适合)", {"comparison": STRONG}),
    # quality: A-not-A of a sensory attribute or a defect ("甜不甜", "掉不掉"); suitability
    (_TASTES, rf"(?P<taste>[{_TASTES}])不(?P=taste)", {"quality": STRONG}),
    # a taste or feel judged too strong ("有点咸", "太腻了"); 太甜 may be praise of fruit
    ("有太", r"(?:有点|太)[咸辣酸苦腻硬淡柴干涩油糊]", {"quality": STRONG, "complaint": STRONG}),
    # a quality the product lacks ("一点都不保湿", "不透气"); not the A-not-A "保不保湿"
    (
        "不",
        r"(?<![保防耐透新结])(?<!保湿|防水|保暖|透气|耐用|结实|新鲜|耐脏|防滑|吸水|显色)不(?:保湿|防水|保暖|透气|耐用|结实|新鲜|耐脏|防滑|吸水|显色)"
        r"(?![吗么啊?])",
        {"quality": STRONG, "complaint": STRONG},
    ),
    # "色差好大": a colour unlike the pictures
    ("色", r"色差(?:好|很|太|有点|挺|这么|特别|非常)?(?:大|严重|明显)", {"complaint": STRONG}),
    (_DEFECTS, rf"(?P<defect>[{_DEFECTS}])不(?P=defect)", {"quality": STRONG}),
    (
        "能可",
        r"(?:能|可以)(?:吃|用|喝|戴|带|洗|机洗|水洗|煮|蒸|泡|微波|吞|晒|烘|爬|睡|坐)(?:吗|不|么)",
        {"quality": STRONG},
    ),
    (
        "会甜辣咸酸苦腻脆嫩",
        r"会不会(?:粘|掉|起|褪|缩|变|漏|裂|坏|过敏|烂|透|闷|勒|磨|臭|扎|卡粉|脱妆)|[甜辣咸酸苦腻脆嫩]吗",
        {"quality": STRONG},
    ),
    # complaint: waiting ("一个月了", "等了三天"), broken promises ("说好的赠品呢"), early defects
    (
        _DIGITS + "一两三四五六七八九十几半",
        r"[一两三四五六七八九十几\d半]+个?(?:月|周|天|星期|礼拜|小时)了",
        {"complaint": 1.5},
    ),
    (
        "等",
        r"等了[^,.!?。，]{0,4}(?:月|周|天|星期|小时|半天|晚上|上午|下午)",
        {"complaint": STRONG},
    ),
    # "每次都抢不到": a failure every time
    ("每", r"每次都(?:抢不到|没|不|买不到|卡)", {"complaint": STRONG}),
    # a delivery that arrived broken: after-sales ("收到瓶子漏了", "收到全碎了")
    (
        "收",
        r"收到[^,.!?。，]{0,6}(?:碎|漏|坏|破|烂|瘪|压|变形|裂|少)",
        {"after_sales": STRONG, "complaint": STRONG},
    ),
    ("说", r"说好的[^,.!?。，]{0,8}呢", {"complaint": STRONG}),
    ("一", r"一直(?:没|不|显示|在|都没)", {"complaint": CLEAR}),
    (
        "就",
        r"就(?:起球|坏|破|掉色|褪色|变形|开线|开胶|脱胶|脱线|断|裂|漏|掉|起毛|生锈)",
        {"complaint": STRONG, "quality": CLEAR},
    ),
    # the goods unlike the listing: "跟图片差距也太大", "颜色和直播间看到的不一样"
    (
        "跟和与",
        r"[跟和与](?:图片|图|照片|直播间|视频|描述|宣传|介绍|主播)[^,.!?。，]{0,8}"
        r"(?:不一样|不符|差距|差别|差太多|差好多|两样)",
        {"complaint": STRONG},
    ),
    # a taste or feel to excess: "酸得要命", "咸得不行", "好咸", "巨硬"
    (
        _TASTES,
        rf"[{_TASTES}](?:得|的)(?:要命|不行|受不了|离谱|发苦|没法吃|倒牙)",
        {"quality": STRONG, "complaint": STRONG},
    ),
    # early failure: "洗了一次就", "穿两天就", "用了一周就"
    (
        "洗穿用戴",
        r"(?:洗|穿|用|戴)了?(?:一|两|三|几|\d)(?:次|回|天|周|个月|水)就",
        {"quality": STRONG, "complaint": STRONG},
    ),
    # a damaged delivery found on arrival: "到的时候烂了三个", "拆开就碎了"
    (
        "到拆",
        r"(?:到的时候|到手|拆开)[^,.!?。，]{0,6}(?:碎|漏|坏|破|烂|瘪|压|变形|裂|软)",
        {"after_sales": STRONG, "complaint": STRONG, "quality": CLEAR},
    ),
    # a cheaper price before: "上次才199", "昨天只要89"
    (
        "上之昨平前刚去",
        r"(?:上次|之前|昨天|平时|上回|前天|刚才|刚刚|上周|去年)[^,.!?。，]{0,4}"
        r"(?:才|只要|只卖|还是\d|\d+(?:元|块))",
        {"comparison": STRONG},
    ),
    # a multi-buy price: "99三件", "三件99"
    (
        _DIGITS + _NUMERALS,
        r"(?<![\d.])\d+(?:元|块)?[两二三四五六七八九十2-9]件|[两二三四五六七八九十2-9]件\d+",
        {"price": STRONG, "discount": STRONG},
    ),
    # a price checked: "99是吧", "199吗"
    (_DIGITS, r"(?:^|(?<=\s))\d{2,5}(?:元|块)?(?=是吧|吗|对吧|是吗|对吗)", {"price": STRONG}),
    # suitability asked: "适合幼猫吗", "适合敏感肌不"
    ("适", r"适合[^,.!?。，]{1,6}(?:吗|不|么|用|吃|穿|戴)", {"quality": STRONG}),
    # "X还是Y好": two named options compared
    (
        "还",
        r"(?<=\w)(?<![我你他她就也都了])还是(?!\d)[^,.!?。，]{1,6}(?:好|划算|值|耐用|强)(?![看吃用听玩美])",
        {"comparison": STRONG},
    ),
    ("原", r"原价[^,.!?。，]{0,6}现在(?:只要|才)?\d", {"discount": STRONG}),
    # the item picked by its link number alone: "5号"
    (_DIGITS, r"^(?:[1-9]|[12]\d)号(?:链接)?\W*$", {"how_to_buy": STRONG}),
    # the age a product suits: "宝宝几个月能用", "几岁能吃"
    ("几", r"几(?:个月|岁)(?:能|可以)(?:用|吃|穿|戴|玩)", {"quality": STRONG}),
    # praise of the host's selling
    (
        "讲",
        r"讲[得的](?:真|好|很|太|超|还|更|挺|蛮)?(?:清楚|明白|细|专业|棒|好)(?![快慢])",
        {"praise": STRONG, "interaction": ENOUGH},
    ),
    # interaction: the host's call-and-reply ("扣1", "1111", "666"); remarks on the host's person
    ("扣", r"扣\s?个?\d+", {"interaction": STRONG}),
    (_DIGITS, r"^(?P<reply>\d)(?P=reply){0,15}$|^6{3,}", {"interaction": STRONG}),
    # "某宝搜xx小店": a shop elsewhere to search for
    ("搜", r"搜(?!不到|一下|索)[^,.!?。，]{1,8}(?:店|铺)", {"spam": STRONG}),
    # a compliment to the host is praise too ("主播好美", "老板大气"); "主播辛苦了" is not
    (
        "主老",
        r"(?:主播|老板)[^,.!?。，]{0,6}?(?:好看|漂亮|美|帅|可爱|专业|厉害|棒|会挑|会选|好听"
        r"|温柔|皮肤|大气|亲切|耐心|真诚|实在|敬业|有气质|身材|清楚|溜|逼真|自然|越来越像)",
        {"interaction": ENOUGH, "praise": ENOUGH},
    ),
    ("主老", r"(?:主播|老板)[^,.!?。，]{0,6}?(?:辛苦|别|不要)", {"interaction": ENOUGH}),
    # Families from the errors of rounds G and H (2026-11-29), checked against the real chat.
    # size: "155/90" (height/bust), "拍38还是39" (a choice between two shoe sizes)
    (_DIGITS, r"(?<![\d.])1[4-9]\d/\d{2,3}[ab]?(?![\d.])", {"size": STRONG}),
    # quality: a choice between two tastes or feels ("软还是硬", "甜还是酸")
    (_TASTES, rf"[{_TASTES}]还是[{_TASTES}]", {"quality": STRONG}),
    # complaint: a claim belied ("说是5斤 称了只有4斤", "说是加厚 薄得跟纸一样"), the goods
    # smaller or worse than shown ("实物小一圈"), a size far off, a question asked again and again
    (
        "说",
        r"说(?:是|好)[^,.!?。，]{1,8}[,，\s]+[^,.!?。，]{0,8}(?:只有|才|根本|薄得|没有|不是)",
        {"complaint": STRONG},
    ),
    # a garment too short or small by a margin: "短了一截", "小了一码"
    (
        "短长小大肥瘦紧松",
        r"[短长小大肥瘦紧松]了(?:一截|一圈|一码|一号|两码|好多)",
        {"size": STRONG, "complaint": STRONG},
    ),
    # a price changed by an amount since the viewer bought: "今天降了20"
    (
        "降涨",
        r"[降涨]了[\d一二三四五六七八九十几]+(?:元|块)?",
        {"price": STRONG, "comparison": STRONG},
    ),
    # "够三口人用吗": a household size
    (_NUMERALS + _DIGITS + "几", r"[\d一二两三四五六七八九几]口人", {"size": STRONG}),
    ("实", r"实物[^,.!?。，]{0,4}(?:小|差|丑|薄|短|不一样|不符|太)", {"complaint": STRONG}),
    ("严太特非巨超", r"(?:严重|太|特别|非常|巨|超)偏[大小短长]", {"complaint": STRONG}),
    ("问", r"问了?(?:好多|好几|[\d一二三四五六七八九十几]+)(?:遍|次)", {"complaint": STRONG}),
    # praise: "质量确实可以", "真可以" said as a verdict (not "确实可以玩")
    ("确真挺蛮", r"(?:确实|真的|真|挺|蛮)可以(?=$|[\s,.!~。，])", {"praise": STRONG}),
)

# A host or stream mention ("@host" phrases) with no shopping concern is talk to or about the
# host: interaction gets this much weight ("主播几岁了", "直播间卡了"; not "主播 多少钱").
HOST_MENTION_WEIGHT: Final = ENOUGH

# (label, weight, space-separated tokens): whole-token matches only.
TOKEN_CUES: Final[tuple[tuple[str, float, str], ...]] = (
    ("size", CLEAR, "s m l xl xxl xxxl xs sml 2xl 3xl 4xl ml"),
    ("after_sales", CLEAR, "退"),
    ("after_sales", 1.5, "换"),
    ("interaction", CLEAR, "草 666 888 哈哈哈 哇"),
    ("price", CLEAR, "价"),
    ("praise", CLEAR, "绝"),
    ("complaint", CLEAR, "气"),  # "一个没中 气"
    ("spam", STRONG, "私 line tg"),  # "需要的私": message me; outside messengers
)

# (label, weight, phrases): count only when no other label reached the threshold.
FALLBACK_CUES: Final[tuple[tuple[str, float, str], ...]] = (
    ("price", STRONG, "多少"),
    # "是真的吗" asks whether what the comment names is true ("买一送一是真的吗" is discount);
    # alone it asks whether the goods are genuine
    ("authenticity", STRONG, "是真的吗"),
)

# (regular expression, {label: weight}): like FALLBACK_CUES, searched only when no label reached
# the threshold. "普洱是生茶还是熟茶", "是今年的新米吗": which kind the goods are asks their
# quality (not after a person or "这": "你是新来的吗", "这是真的吗").
FALLBACK_PATTERNS: Final[tuple[tuple[str, dict[str, float]], ...]] = (
    (
        r"是(?<![这那你我他她它就不也都以]是)(?![^,.!?。，]*还是不)[^,.!?。，]{1,6}(?:还是|的吗|的么)",
        {"quality": STRONG},
    ),
)

# Question detection (see intents.is_question). Words that ask wherever they stand:
QUESTION_WORDS: Final = (
    "吗 多少 几 怎么 怎样 咋 什么 啥 哪 为何 为啥 多久 多大 多重 多长 多高 多宽 谁 是吧 对吧 多小钱"
    " 真的假的"
)
# Particles that ask at the end of a comment ("包邮不", "链接呢", "发货没").
QUESTION_FINALS: Final = "呢 不 没"
# A question word inside these is not asking: 好几天 (several days), 怎么这么 (an exclamation).
NOT_QUESTION: Final = (
    "好几 几乎 几十 几百 十几 怎么这么 怎么那么 不管怎么 什么鬼 什么垃圾 什么玩意 没什么 什么都"
    " 没啥 哪怕 干吗 谁买啊 谁要啊 谁会买 什么破 怎么又 怎么老是 怎么总是 怎么每次 能不能别"
    " 可不可以别 能不能快点 了几次 了几天 没几 凭什么 什么态度 谁懂"
)
# A comment that is only one of these words (or its repetition) asks about it: "链接", "价格".
BARE_QUESTIONS: Final = "链接 价格 价钱 尺码 码数 运费 库存 材质 优惠券 券 规格 尺寸"
