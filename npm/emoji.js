// RongIMEmoji: RongCloud's emoji helper (seed 003, "Emoji 插件") for apps
// that show or type emoji by name, e.g. [笑嘻嘻] ↔ 😀. Messages carry native
// emoji; these helpers only convert text for input boxes and display.
// Plain JS, not in the wasm: it is UI text handling, nothing the engine does.

// The built-in emoji (129 in RongCloud's table; its docs say 128): code point (the `unicode` key is 'u' + it), the
// Chinese and English names RongCloud's plugin uses.
const BUILTIN = `1F603 笑脸 Smiley Face|1F600 笑嘻嘻 Grinning Face|1F60A 微笑 Smiley|263A 萌萌哒 Cute|1F609 眨眼 Winking Face|
1F60D 色迷迷 Heart Eyes|1F618 飞吻 Blowing Kiss|1F61A 么么哒 Kiss Face|1F61C 调皮 Crazy Face|1F61D 吐舌头 Tongue Out|
1F633 脸红 Flushed Face|1F601 露齿而笑 Grinning With Smiling|1F614 沉思 Pensive|1F60C 满意 Pleased|1F612 不满 Dissatisfied|
1F61F 苦瓜脸 Worried Face|1F61E 失望 Disappointed Face|1F623 无助 Helpless Face|1F62D 伤心 Crying|1F602 喜极而泣 Laughing Tears|
1F622 哭泣 Sobbing|1F62A 困 Sleepy Face|1F630 冷汗 Cold Sweat|1F605 尴尬 Happy Sweat|1F613 汗 Sweat|1F62B 抓狂 Tired Face|
1F629 疲惫 Weary Face|1F628 可怕 Fearful Face|1F631 尖叫 Scream|1F621 生气 Angry Face|1F624 怒气冲冲 Mad Face|
1F616 蒙羞 Confounded Face|1F606 大笑 Big Grin|1F60B 馋 Hungry|1F637 口罩 Mask Face|1F60E 墨镜 Sunglasses|1F634 睡眠 Sleeping|
1F635 头晕眼花 Dizzy Face|1F632 震惊 Shocked Face|1F608 小恶魔 Purple Devil|1F47F 恶魔 Devil|1F62F 惊呆 Surprised Face|
1F62C 扮鬼脸 Grimacing Face|1F615 困惑 Confused|1F636 无口 Mouthless|1F607 天使光环 Halo|1F60F 傻笑 Smirking Face|
1F611 面无表情 Expressionless Face|1F648 不看 See No Monkey|1F649 不听 Hear No Monkey|1F64A 闭嘴 No Speaking|1F47D 外星人 Alien|
1F4A9 便便 Pile Of Poo|1F494 心碎 Broken Heart|1F525 火 Fire|1F4A2 愤怒 Anger|1F4A4 ZZZ Zzz|1F6AB 禁止 Prohibited|2B50 星星 Star|
26A1 闪电 Lightning Bolt|1F319 弯月 Drescent Moon|2600 晴朗 Sunny|26C5 多云 Cloudy|2601 云彩 Cloud|2744 雪花 Snowflake|
2614 雨伞 Umbrella|26C4 雪人 Snowman|1F44D 赞 Thumbs Up|1F44E 喝倒彩 Thumbs Down|1F91D 握手 Handshake|1F44C 没问题 Ok Hand|
1F44A 举起拳头 Raised Fist|270A 击拳 Oncoming Fist|270C 耶 Victory Hand|270B 举手 Raised Hand|1F64F 祈祷 Folded Hands|
261D 第一 Pointing Up|1F44F 鼓掌 Clapping Hands|1F4AA 肌肉 Flexed Biceps|1F46A 家庭 Family|1F46B 情侣 Couple|
1F47C 宝贝天使 Baby Angel|1F434 马 Horse|1F436 狗 Dog|1F437 猪 Pig|1F47B 鬼 Ghost|1F339 玫瑰 Rose|1F33B 向日葵 Sunflower|
1F332 松树 Pine Tree|1F384 圣诞树 Christmas Tree|1F381 礼物 Wrapped Gift|1F389 聚会礼花 Party Popper|1F4B0 钱袋 Money Bag|
1F382 生日蛋糕 Birthday Cake|1F356 BBQ Barbecue|1F35A 米饭 Cooked Rice|1F366 冰淇淋 Ice Cream|1F36B 巧克力 Chocolate Bar|
1F349 西瓜 Watermelon|1F377 红酒 Wine Glass|1F37B 干杯 Cheers|2615 咖啡 Coffee|1F3C0 篮球 Basketball|26BD 足球 Soccer Ball|
1F3C2 单板滑雪 Snowboarder|1F3A4 麦克风 Microphone|1F3B5 音乐 Musical Note|1F3B2 骰子 Game Die|1F004 麻将 Mahjong Red Dragon|
1F451 王冠 Crown|1F484 口红 Lipstick|1F48B 吻 Kiss|1F48D 戒指 Ring|1F4DA 书籍 Books|1F393 毕业帽 Graduation Cap|270F 铅笔 Pencil|
1F3E1 房子 House With Garden|1F6BF 淋浴 Shower|1F4A1 灯泡 Light Bulb|1F4DE 电话听筒 Telephone Receiver|1F4E2 扩音器 Loudspeaker|
1F556 表 Clock|23F0 闹钟 Alarm Clock|23F3 沙漏 Hourglass|1F4A3 炸弹 Bomb|1F52B 手枪 Pistol|1F48A 药 Capsule|1F680 火箭 Rocket|
1F30F 地球 Globe`;

// RongCloud's plugin shows these four keys with each other's emoji; kept,
// so names typed by its users mean what they meant.
const TAG_OF = { '1F62D': 0x1F622, '1F622': 0x1F62D, '1F44A': 0x270A, '270A': 0x1F44A };

function builtin() {
  const out = [];
  for (const item of BUILTIN.replace(/\n/g, '').split('|')) {
    const [hex, zh, ...en] = item.split(' ');
    out.push({ unicode: 'u' + hex, zh, en: en.join(' '), tag: String.fromCodePoint(TAG_OF[hex] ?? parseInt(hex, 16)) });
  }
  return out;
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const escapeHTML = (s) => s.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function createEmoji() {
  let lang = 'zh';
  let items = builtin();
  let tagRe = null;
  const list = [];

  function rebuild() {
    // Longest first, so a sequence is never cut by its own prefix.
    const tags = items.map((d) => d.tag).sort((a, b) => b.length - a.length);
    tagRe = new RegExp(tags.map(escapeRe).join('|'), 'gu');
    list.length = 0;
    for (const d of items) {
      list.push({ unicode: d.unicode, emoji: d.tag, symbol: `[${d[lang]}]`, node: nodeFor(d) });
    }
  }

  function nodeFor(d) {
    if (typeof document === 'undefined') return null;
    const span = document.createElement('span');
    span.className = 'rong-emoji-content';
    span.setAttribute('name', `[${d[lang]}]`);
    span.textContent = d.tag;
    return span;
  }

  // Older SDKs delivered emoji as private-use characters (\uf600 for
  // U+1F600); they turn into the emoji they stand for.
  const legacy = (s) => s.replace(/[\uF000-\uF9FF]/g, (c) => {
    const cp = c.codePointAt(0) + 0x10000;
    return items.some((d) => d.tag.codePointAt(0) === cp) ? String.fromCodePoint(cp) : c;
  });

  const byTag = (tag) => items.find((d) => d.tag === tag);
  const byName = (name) => items.find((d) => d[lang] === name);
  const html = (d) => `<span class='rong-emoji-content' name='[${escapeHTML(d[lang])}]'>${d.tag}</span>`;

  function text(s, name) {
    if (typeof s !== 'string') throw new TypeError(`RongIMEmoji.${name}: a string is required`);
    return legacy(s);
  }

  const api = {
    /** The emoji as {unicode, emoji, symbol, node}. */
    list,
    /** init({lang?: 'zh'|'en', extension?: {dataSource: {uXXXX: {zh, en, tag}}}}); size and url are accepted and unused (native emoji, no sprite). */
    init(config = {}) {
      if (config === null || typeof config !== 'object') throw new TypeError('RongIMEmoji.init: config must be an object');
      if (config.lang !== undefined && config.lang !== 'zh' && config.lang !== 'en') {
        throw new TypeError("RongIMEmoji.init: lang must be 'zh' or 'en'");
      }
      const extra = Object.entries(config.extension?.dataSource || {});
      for (const [unicode, d] of extra) {
        if (!d || typeof d.tag !== 'string' || !d.tag) throw new TypeError(`RongIMEmoji.init: extension ${unicode} needs a tag`);
      }
      // Checked: now it changes.
      lang = config.lang ?? lang;
      for (const [unicode, d] of extra) {
        items = items.filter((x) => x.unicode !== unicode && x.tag !== d.tag);
        items.push({ unicode, zh: String(d.zh ?? d.en ?? unicode), en: String(d.en ?? d.zh ?? unicode), tag: d.tag });
      }
      rebuild();
    },
    /** '😀测试' → '[笑嘻嘻]测试' */
    emojiToSymbol(s) {
      return text(s, 'emojiToSymbol').replace(tagRe, (t) => `[${byTag(t)[lang]}]`);
    },
    /** '[笑嘻嘻]测试' → '😀测试'; unknown names stay as they are. */
    symbolToEmoji(s) {
      return text(s, 'symbolToEmoji').replace(/\[([^[\]]+?)\]/g, (m, name) => byName(name)?.tag ?? m);
    },
    /** '😀测试' → "<span class='rong-emoji-content' name='[笑嘻嘻]'>😀</span>测试" (the rest is not escaped, as in RongCloud's plugin). */
    emojiToHTML(s) {
      return text(s, 'emojiToHTML').replace(tagRe, (t) => html(byTag(t)));
    },
    /** '[露齿而笑]测试' → "<span class='rong-emoji-content' name='[露齿而笑]'>😁</span>测试" */
    symbolToHTML(s) {
      return text(s, 'symbolToHTML').replace(/\[([^[\]]+?)\]/g, (m, name) => {
        const d = byName(name);
        return d ? html(d) : m;
      });
    },
  };
  rebuild();
  return api;
}

export const RongIMEmoji = createEmoji();
