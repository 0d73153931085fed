import type { Category, Rating } from '#shared';
import type { Random } from './random.js';

/*
 * What people say and write in a season: problem descriptions per category, SMS replies to the
 * survey (as residents really type them: digits, full-width digits, words, a comment after it),
 * web comments, the companies' feedback summaries, return reasons, and the few words around a
 * bad rating. Kept short and plain; the generator fills in numbers.
 */

export const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '于', '董', '宋', '曲', '姜', '丁'];

/** Roads and streets; the district name is not repeated (the address carries its code). */
export const STREETS = [
  '中山路', '人民路', '和平大街', '北京街', '南京南街', '青年大街', '文化路', '建设大路', '胜利街', '民主路', '团结路', '长江街',
  '黄河大街', '太原街', '沈辽路', '滨河路', '工人街', '解放路', '新华街', '光明路', '友谊街', '东风路', '朝阳街', '兴华南街',
  '望湖路', '鞍山路', '松山路', '金山路', '振兴路', '富民街',
];

export function description(r: Random, category: Category, extra: { indoorTemperatureC?: number; daysWithoutHeat?: number }): string {
  const t = extra.indoorTemperatureC;
  const days = extra.daysWithoutHeat;
  switch (category) {
    case 'too_cold':
      return r.pick([
        `卧室温度只有${t}度，暖气片上热下凉`,
        `家里测温${t}℃，孩子冻得感冒了，要求尽快处理`,
        `室温${t}度，暖气不热，老人在家受不了`,
        `客厅和卧室都不到18度，今早测的${t}度`,
        `暖气温乎乎的，屋里${t}度，已经好几天了`,
        `顶楼住户，室温${t}度，邻居家也不热`,
        `暖气片只有进水口热，室内${t}度，要求上门测温`,
      ]);
    case 'heating_not_started':
      return r.pick([
        `已经交了取暖费，到现在还没供热，已经${days}天了`,
        `单元里其他人家都热了，就我家暖气是凉的，${days}天了`,
        `供热开始${days}天了暖气还是冰凉，打了供热公司电话没人接`,
        `我家阀门一直没开，交费后等了${days}天`,
        `整栋楼都没来热，已经${days}天，家里有老人`,
      ]);
    case 'heating_cut_off':
      return r.pick([
        `昨晚开始突然停热，已经${days}天了，也没有通知`,
        `小区停热${days}天，说是管道维修，一直没恢复`,
        `暖气突然凉了，问了邻居也一样，停了${days}天`,
      ]);
    case 'repair_delayed':
      return r.pick([
        '暖气片漏水报修三天了没人来修',
        '阀门坏了报修后一直没人上门',
        '报修后约好上门又没来，暖气还是不热',
        '楼道管线维修拖了一个星期，家里很冷',
        '放风后暖气还是不热，维修师傅说再来一直没来',
      ]);
    case 'pipe_leak':
      return r.pick(['单元门口管道漏水，地面结冰', '地下室供热管道漏水，水一直流', '楼上暖气管漏水渗到我家了', '小区路面冒热气，像是管网漏了']);
    case 'charges':
      return r.pick(['取暖费按建筑面积收费，面积算多了', '已经报停了还要交取暖费', '室温不达标要求退费，企业不给退', '收费标准和去年不一样，没有公示']);
    case 'staff_conduct':
      return r.pick(['供热公司客服态度很差，挂电话', '维修人员上门态度恶劣', '打了十几次电话都说等着，没人管']);
    case 'connect_disconnect':
      return r.pick(['申请开栓好几天了没人来开', '申请报停一直没有办理', '开栓后暖气还是不热']);
    case 'policy_question':
      return r.pick(['想问一下今年什么时候开始供热', '室温标准是多少度', '取暖费怎么交，能不能网上交', '室温不达标怎么退费', '报停需要什么手续']);
    case 'other':
      return r.pick(['供热公司电话一直打不通', '小区换热站噪音太大晚上睡不着', '暖气片想改位置，找谁办理']);
  }
}

/** What the operator answered on the call (consultations, closed at intake). */
export function consultationAnswer(r: Random, category: Category): string {
  switch (category) {
    case 'policy_question':
      return r.pick([
        '已告知：辽宁省供热期为11月1日至次年3月31日，卧室、起居室温度不低于18℃。',
        '已告知：室温不达标可申请测温，经测温确认后按规定退费。',
        '已告知：取暖费可在供热企业营业厅、网上营业厅或手机银行缴纳。',
        '已告知报停手续：向供热企业提出申请，经确认后关闭阀门。',
      ]);
    case 'charges':
      return r.pick(['已解释取暖费按建筑面积计收的标准及依据。', '已告知退费计算办法，建议携带测温单到企业营业厅办理。']);
    case 'connect_disconnect':
      return r.pick(['已告知开栓需先缴费，由供热企业安排上门开栓。', '已告知报停须在供热期前申请，并说明所需材料。']);
    default:
      return r.pick(['已提供供热企业服务电话，并告知办理途径。', '已记录并解答，诉求人表示清楚。']);
  }
}

/** SMS replies to the survey, per rating: what residents type (parsed by sms-survey's parser). */
export const SMS_REPLIES: Record<Rating, readonly string[]> = {
  satisfied: ['1', '1', '1', '１', '满意', '满意', '非常满意', '1 谢谢', '1，谢谢师傅', '满意，师傅很负责', '1 暖气热了', '很满意！', '好评', '1️⃣', '满意了'],
  basically_satisfied: ['2', '2', '２', '基本满意', '还行', '2 还可以', '基本满意，就是来得有点晚', '一般', '2，比原来强点', '还可以吧'],
  dissatisfied: ['3', '3', '３', '不满意', '3，还是不热', '不太满意', '3 一直没人来', '不满意，测完温就走了', '3 暖气还是凉的', '差评'],
};

/** Web rating page comments (optional). */
export const WEB_COMMENTS: Record<Rating, readonly string[]> = {
  satisfied: ['师傅来得很及时', '问题解决了，谢谢', '服务态度好'],
  basically_satisfied: ['温度上来了一点', '处理慢了些'],
  dissatisfied: ['还是不热', '没有上门测温', '电话里说处理了，实际没处理'],
};

export function feedbackSummary(r: Random, category: Category, resolution: 'fixed' | 'closed_unresolved'): string {
  if (resolution === 'closed_unresolved') {
    return r.pick([
      '已入户查看，系楼内管网老化所致，需停热期改造，已向诉求人说明',
      '多次联系诉求人未果，上门无人，已留言告知',
      '诉求人要求超出供热标准，已解释相关规定',
      '户内自行改造管线造成，已告知诉求人自行整改',
    ]);
  }
  switch (category) {
    case 'too_cold':
      return r.pick(['已入户测温，放风排气后室温达标', '已调整单元平衡阀，复测室温达标', '已清洗过滤器，暖气恢复正常', '已提高二次网供水温度，室温达标']);
    case 'heating_not_started':
    case 'connect_disconnect':
      return r.pick(['已上门开栓，暖气已热', '已开启单元阀门，供热正常', '核实已缴费，当日开栓供热']);
    case 'heating_cut_off':
      return r.pick(['管道抢修完毕，已恢复供热', '换热站故障已排除，恢复供热']);
    case 'repair_delayed':
    case 'pipe_leak':
      return r.pick(['已更换阀门，漏水已处理', '已维修完毕，诉求人确认', '已派维修人员处理，管道恢复正常']);
    default:
      return r.pick(['已与诉求人沟通解释，问题已处理', '已核实情况并答复诉求人']);
  }
}

export const RETURN_REASONS_TEXT = {
  not_our_service_area: ['该小区不在本企业供热范围，属邻近企业', '经核实该楼由其他供热企业负责'],
  owner_unclear: ['该小区为三供一业移交小区，供热责任主体尚未明确'],
  not_heating_related: ['反映的是物业问题，非供热问题'],
} as const;

export const MANUAL_DISPATCH_NOTES = ['经核实地址', '已电话联系诉求人确认小区', '', '', ''];

export const CALLBACK_DEMANDS = ['要求再次上门测温', '要求退还部分取暖费', '要求更换暖气片', '对维修时间不满意', '要求室温达到22度'];
export const RECONSIDERATION_REASONS = ['诉求人要求超出供热标准（室温已达18℃）', '户内私改管线导致不热，非企业责任', '诉求人要求退费不符合规定'];
