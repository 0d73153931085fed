/** Survey SMS wording (Chinese, for residents). Lengths: docs/surveys.md ("SMS length"). */

/** The invitation; with a one-time web link when PUBLIC_BASE_URL is set (two SMS segments instead of one). */
export function surveyInvitation(caseNumber: string, link?: string): string {
  return `【供热直通车】您反映的供热问题（工单${caseNumber}）已办结，请回复数字评价：1满意 2基本满意 3不满意${link ? `，或点 ${link} 评价` : ''}。回TD退订`;
}
/**
 * The fresh survey after a rectification (round 2, 3 …). 「问题」 rather than 「供热问题」: the text
 * then has the invitation's length (one SMS segment without a link, two with one).
 */
export function surveyResurveyInvitation(caseNumber: string, link?: string): string {
  return `【供热直通车】您反映的问题（工单${caseNumber}）已整改，请再次回复数字评价：1满意 2基本满意 3不满意${link ? `，或点 ${link} 评价` : ''}。回TD退订`;
}
/** The invitation of a survey round: round 1 after the case closed, later rounds after a rectification. */
export function invitationForRound(round: number, caseNumber: string, link?: string): string {
  return round > 1 ? surveyResurveyInvitation(caseNumber, link) : surveyInvitation(caseNumber, link);
}
/** The one reminder, 24 h before the window closes (the same for every round). */
export function surveyReminder(caseNumber: string, link?: string): string {
  return `【供热直通车】提醒：工单${caseNumber}的评价明天截止，请回复数字：1满意 2基本满意 3不满意${link ? `，或点 ${link} 评价` : ''}。回TD退订`;
}
export function thanksForRating(caseNumber: string): string {
  return `【供热直通车】感谢您对工单${caseNumber}的评价。`;
}
export function replyNotUnderstood(): string {
  return '【供热直通车】未能识别您的回复，请回复数字：1满意 2基本满意 3不满意。';
}
/** A reply after the window: kept, not counted; said once per survey. */
export function ratingWindowClosed(caseNumber: string): string {
  return `【供热直通车】您好，工单${caseNumber}的评价期已结束，您的回复已留存，但不再计入评价。感谢您的反馈。`;
}
export function unsubscribedConfirmation(): string {
  return '【供热直通车】您已退订，今后不再收到工单评价短信。如需恢复，请回复“订阅”。';
}
export function resubscribedConfirmation(): string {
  return '【供热直通车】您已恢复接收工单评价短信。回TD退订';
}

/**
 * SMS segments a text takes: Chinese text is sent as UCS-2, 70 characters in one SMS, 67 per
 * segment when it is split (the rest of each segment carries the concatenation header).
 */
export function smsSegments(text: string): number {
  const n = Array.from(text).length;
  return n <= 70 ? 1 : Math.ceil(n / 67);
}
