/*
 * Character knowledge used by community-name matching. Hand-made, focused on characters that occur
 * in community (小区) names; extend it when the manual-dispatch queue shows a miss (docs/routing.md).
 */

/**
 * Traditional / variant forms → the simplified form used in the registry. Applied during
 * normalization, like full-width → half-width: 「錦繡花園」 is 「锦绣花园」. Only unambiguous
 * one-to-one mappings are listed. Pairs: traditional char, then simplified char.
 */
const TRADITIONAL_PAIRS =
  '園园區区華华錦锦繡绣陽阳東东灣湾龍龙鳳凤麗丽豐丰興兴紅红綠绿藍蓝開开發发廣广國国際际萬万達达嶺岭樂乐寧宁匯汇滙汇寶宝' +
  '瀋沈連连順顺慶庆葉叶楓枫長长樓楼號号門门島岛濱滨瀾澜臺台鐵铁車车廠厂礦矿學学醫医莊庄廈厦勝胜聖圣榮荣蘭兰義义禮礼' +
  '親亲愛爱鴻鸿鵬鹏鶴鹤鳴鸣歐欧爾尔亞亚雲云電电風风飛飞馬马驛驿騰腾頤颐頌颂領领頂顶願愿軒轩輝辉運运遠远邁迈邊边鄉乡' +
  '鄰邻鋼钢鏡镜鐘钟鍾钟閣阁關关陳陈陸陆雙双離离靈灵靜静韻韵響响頭头館馆體体鬆松魚鱼鳥鸟鶯莺麥麦黃黄齊齐橋桥樹树' +
  '櫻樱權权歡欢歸归氣气溫温湯汤滿满漢汉潤润澤泽濟济濤涛灘滩無无熱热燈灯營营獅狮環环現现瑤瑶產产畫画當当盤盘眾众' +
  '種种穩稳競竞築筑節节範范簡简紀纪納纳紡纺線线組组經经結结綜综維维網网緣缘縣县總总聯联職职舊旧藝艺蘇苏衛卫裝装' +
  '見见規规視视覽览觀观誠诚誼谊謙谦譽誉讓让貝贝財财貴贵貿贸賓宾賢贤資资質质購购贏赢趙赵躍跃軍军農农進进過过遷迁' +
  '選选鄭郑鈺钰銀银鋒锋鎮镇閒闲間间闊阔陽阳隊队隱隐雞鸡霧雾韓韩額额養养騎骑魯鲁鮮鲜鹽盐黨党齡龄礎础祿禄壽寿儀仪' +
  '會会來来廳厅廟庙廠厂寬宽對对專专屬属層层嶼屿巒峦幣币庫库張张強强彎弯徑径復复悅悦憶忆戶户擁拥擊击' +
  '晉晋暉晖曉晓書书桿杆棟栋楊杨極极樺桦檸柠氫氢沖冲滬沪漁渔漣涟灣湾煥焕爭争瑩莹畢毕碼码磚砖';

export const TRADITIONAL_TO_SIMPLIFIED: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  const chars = [...TRADITIONAL_PAIRS];
  for (let i = 0; i + 1 < chars.length; i += 2) if (chars[i] !== chars[i + 1]) map.set(chars[i], chars[i + 1]);
  return map;
})();

/**
 * Groups of characters that residents confuse when typing a community name. Two characters in one
 * group substitute for each other at CONFUSABLE_SUBSTITUTION_COST instead of a full edit.
 *  - Homophones (same pinyin, tone ignored): the pinyin input method offers them side by side, and
 *    hotline operators write what they hear. 「锦秀」 for 「锦绣」, 「小去」 for 「小区」.
 *  - Look-alikes: 「褔」 for 「福」, 「沉」 for 「沈」 (handwriting, old signboards, OCR).
 * A character may be in several groups.
 */
export const CONFUSABLE_GROUPS: readonly string[] = [
  // homophones
  '区去曲渠趋趣', '园圆元源原远缘援苑院愿', '秀绣锈修', '福富府甫芙复阜付褔', '金锦近进津晋今劲', '京景井静境晶精经敬菁',
  '家嘉佳加甲', '新心欣馨鑫信辛', '星兴幸杏邢', '阳杨洋扬羊', '光广', '和河合荷禾贺', '湖胡虎沪', '华花化桦',
  '翠萃粹', '康慷', '乐勒', '长常昌畅', '青清庆晴轻卿', '祥翔香湘详', '东冬栋', '南楠', '陵凌灵玲岭龄', '林琳临麟淋',
  '中钟忠众', '山杉衫珊', '滨斌彬宾', '枫风丰峰锋凤蜂', '御玉裕誉宇雨语域瑜榆', '雅亚', '居局聚菊', '春纯', '晖辉慧惠汇徽会',
  '民敏闽', '平苹萍坪', '泰太台', '安岸', '盛胜圣升', '荣容蓉融', '丽立利力里理', '湾万', '城成诚程承', '庭亭廷婷',
  '芳方坊', '怡宜颐逸艺益', '轩宣', '阁格', '天田甜', '红宏鸿弘虹', '达大', '庄装', '泽则', '地第帝', '名明铭鸣',
  '豪浩好', '际济吉基', '鼎丁顶', '文温', '宁凝', '通同桐', '悦月越岳', '凯开', '宝保', '永泳勇', '锦瑾', '富馥',
  '嘉珈', '景璟', '居驹', '厦夏', '府斧', '园员', '期其奇旗', '号浩豪', '村存', '寓玉', '社舍', '座做坐',
  // look-alikes
  '福褔', '祥样', '泰秦', '沈沉', '晴睛', '侯候', '苑菀', '己已', '未末', '湖糊', '锦棉', '园圆', '辉挥', '翠萃',
];

/** The groups each character belongs to (by index into CONFUSABLE_GROUPS). */
export const CONFUSABLE_GROUPS_OF: ReadonlyMap<number, readonly number[]> = (() => {
  const map = new Map<number, number[]>();
  CONFUSABLE_GROUPS.forEach((group, index) => {
    for (const ch of group) {
      const code = ch.codePointAt(0)!;
      const list = map.get(code) ?? [];
      if (!list.includes(index)) list.push(index);
      map.set(code, list);
    }
  });
  return map;
})();

/** True when two different characters are listed as commonly confused (homophone or look-alike). */
export function areConfusable(a: number, b: number): boolean {
  if (a === b) return false;
  const ga = CONFUSABLE_GROUPS_OF.get(a);
  if (ga === undefined) return false;
  const gb = CONFUSABLE_GROUPS_OF.get(b);
  if (gb === undefined) return false;
  for (let i = 0; i < ga.length; i++) for (let j = 0; j < gb.length; j++) if (ga[i] === gb[j]) return true;
  return false;
}
