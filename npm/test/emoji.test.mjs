// RongIMEmoji: seed 003's "Emoji 插件" examples, as written, give the
// outputs the seed documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as RongIMLib from '../index.js';

test("seed 003's emoji examples", () => {
  RongIMLib.RongIMEmoji.init();
  var list = RongIMLib.RongIMEmoji.list;
  assert.deepEqual({ ...list.find((x) => x.unicode === 'u1F600'), node: undefined }, { unicode: 'u1F600', emoji: '😀', symbol: '[笑嘻嘻]', node: undefined });
  assert.ok(list.length >= 128);

  var message = '😀😁测试 Emoji';
  assert.equal(RongIMLib.RongIMEmoji.emojiToSymbol(message), '[笑嘻嘻][露齿而笑]测试 Emoji');
  message = '[笑嘻嘻][露齿而笑]测试 Emoji';
  assert.equal(RongIMLib.RongIMEmoji.symbolToEmoji(message), '😀😁测试 Emoji');
  message = '\uf600测试 Emoji';
  assert.equal(RongIMLib.RongIMEmoji.emojiToHTML(message), "<span class='rong-emoji-content' name='[笑嘻嘻]'>😀</span>测试 Emoji");
  message = '[露齿而笑]测试 Emoji';
  assert.equal(RongIMLib.RongIMEmoji.symbolToHTML(message), "<span class='rong-emoji-content' name='[露齿而笑]'>😁</span>测试 Emoji");
  // Names it does not know stay as typed.
  assert.equal(RongIMLib.RongIMEmoji.symbolToEmoji('[不是表情]'), '[不是表情]');
});

test("seed 003's custom configuration: English names and an extension", () => {
  var config = {
    size: 25,
    url: '//f2e.cn.ronghub.com/sdk/emoji-48.png',
    lang: 'en',
    extension: {
      dataSource: {
        u1F914: { // 自定义 u1F914 对应的表情
          en: 'thinking face', // 英文名称
          zh: '思考', // 中文名称
          tag: '🤔', // 原生 Emoji
          position: '0 0' // 所在背景图位置坐标
        }
      },
      url: '//cdn.ronghub.com/thinking-face.png' // 新增 Emoji 背景图 url
    }
  };
  RongIMLib.RongIMEmoji.init(config);
  assert.equal(RongIMLib.RongIMEmoji.emojiToSymbol('🤔😀'), '[thinking face][Grinning Face]');
  assert.equal(RongIMLib.RongIMEmoji.symbolToEmoji('[thinking face]'), '🤔');
  assert.ok(RongIMLib.RongIMEmoji.list.some((x) => x.unicode === 'u1F914' && x.symbol === '[thinking face]'));
  RongIMLib.RongIMEmoji.init({ lang: 'zh' });
  assert.equal(RongIMLib.RongIMEmoji.emojiToSymbol('🤔'), '[思考]');
});

test('bad input is refused with a TypeError', () => {
  assert.throws(() => RongIMLib.RongIMEmoji.emojiToSymbol(42), TypeError);
  assert.throws(() => RongIMLib.RongIMEmoji.init({ lang: 'fr' }), TypeError);
  assert.throws(() => RongIMLib.RongIMEmoji.init({ lang: 'en', extension: { dataSource: { u1: { en: 'x' } } } }), TypeError);
  assert.equal(RongIMLib.RongIMEmoji.emojiToSymbol('😀'), '[笑嘻嘻]', 'a refused init changed the language');
});
