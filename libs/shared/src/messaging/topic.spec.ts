import { describe, expect, it } from '@jest/globals';
import { topicMatches } from './topic.js';

describe('topic routing follows AMQP topic-exchange rules', () => {
  it('an exact key matches only itself', () => {
    expect(topicMatches('case.closed', 'case.closed')).toBe(true);
    expect(topicMatches('case.closed', 'case.dispatched')).toBe(false);
  });
  it('"*" stands for exactly one word', () => {
    expect(topicMatches('case.*', 'case.closed')).toBe(true);
    expect(topicMatches('case.*', 'case')).toBe(false);
    expect(topicMatches('case.*', 'case.closed.late')).toBe(false);
  });
  it('"#" stands for zero or more words', () => {
    expect(topicMatches('#', 'survey.rated')).toBe(true);
    expect(topicMatches('case.#', 'case')).toBe(true);
    expect(topicMatches('case.#', 'case.feedback_submitted')).toBe(true);
    expect(topicMatches('#.rated', 'survey.rated')).toBe(true);
    expect(topicMatches('#.rated', 'survey.closed')).toBe(false);
  });
});
