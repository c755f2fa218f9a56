/*
 * Validation of PGM/PPM headers and tile lengths, per the netpbm pgm(5) and
 * ppm(5) pages: "P5" or "P6", whitespace, width, whitespace, height,
 * whitespace, maxval, exactly one whitespace, then width*height*channels
 * bytes. Whitespace is blank, TAB, CR or LF; a comment runs from '#' through
 * the next CR or LF and may stand wherever whitespace may, and also right
 * after the maxval, where the one whitespace must still follow it.
 */
#include "tile-format.h"

#include <cinttypes>
#include <cstdio>

namespace {

constexpr uint64_t kMaxDimension = 0x7fffffff;

bool IsPnmSpace(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Bytes as they should appear in a message: 'P3' or '\x89P'. */
std::string Quote(const uint8_t *bytes, size_t count) {
  std::string text = "'";
  char escaped[8];

  for (size_t i = 0; i < count; i++) {
    if (bytes[i] >= 0x20 && bytes[i] < 0x7f) {
      text.push_back(static_cast<char>(bytes[i]));
    } else {
      snprintf(escaped, sizeof escaped, "\\x%02x", bytes[i]);
      text += escaped;
    }
  }
  return text + "'";
}

std::string Dimensions(uint32_t w, uint32_t h, uint32_t c) {
  return std::to_string(w) + "x" + std::to_string(h) + "x" + std::to_string(c);
}

enum class Parse { kIncomplete, kValid, kInvalid };

/* Walks a PNM header; every step stops with kIncomplete at the end of data. */
class HeaderParser {
public:
  HeaderParser(const std::string &path, const uint8_t *data, size_t got)
      : path_(path), data_(data), got_(got) {}

  Parse Run(TileGeometry *geometry, Failure *failure);

private:
  Parse Magic();
  Parse Separator(const char *after);
  Parse Number(const char *what, std::string *digits);
  Parse SkipComment();
  Parse RasterStart();
  Parse Bad(const char *code, const std::string &why);
  Parse BadAt(const char *expected);

  const std::string &path_;
  const uint8_t *data_;
  size_t got_;
  size_t at_ = 0;
  std::string magic_;
  Failure failure_;
};

Parse HeaderParser::Bad(const char *code, const std::string &why) {
  failure_ = TileFailure(code, path_ + ": " + why);
  return Parse::kInvalid;
}

Parse HeaderParser::BadAt(const char *expected) {
  return Bad("BAD_HEADER", "bad " + magic_ + " header at byte " +
                               std::to_string(at_) + ": expected " + expected +
                               ", found " + Quote(data_ + at_, 1));
}

Parse HeaderParser::Magic() {
  bool pnm = got_ < 1 || data_[0] == 'P';
  bool binary = got_ < 2 || data_[1] == '5' || data_[1] == '6';

  if (!pnm || !binary)
    return Bad("BAD_HEADER", "not a binary PGM (P5) or PPM (P6): starts with " +
                                 Quote(data_, got_ < 2 ? got_ : 2));
  if (got_ < 2)
    return Parse::kIncomplete;
  magic_ = data_[1] == '5' ? "P5" : "P6";
  at_ = 2;
  return Parse::kValid;
}

/* '#' through the next CR or LF. */
Parse HeaderParser::SkipComment() {
  while (at_ < got_ && data_[at_] != '\n' && data_[at_] != '\r')
    at_++;
  if (at_ == got_)
    return Parse::kIncomplete;
  at_++;
  return Parse::kValid;
}

/* One or more whitespace characters or comments before the next token. */
Parse HeaderParser::Separator(const char *after) {
  size_t start = at_;

  for (;;) {
    if (at_ == got_)
      return Parse::kIncomplete;
    if (data_[at_] == '#') {
      Parse step = SkipComment();
      if (step != Parse::kValid)
        return step;
    } else if (IsPnmSpace(data_[at_])) {
      at_++;
    } else {
      break;
    }
  }
  if (at_ == start)
    return BadAt(after);
  return Parse::kValid;
}

Parse HeaderParser::Number(const char *what, std::string *digits) {
  std::string expected = std::string("the ") + what + " (a decimal number)";

  digits->clear();
  while (at_ < got_ && data_[at_] >= '0' && data_[at_] <= '9')
    digits->push_back(static_cast<char>(data_[at_++]));
  if (at_ == got_)
    return Parse::kIncomplete;
  if (digits->empty())
    return BadAt(expected.c_str());
  return Parse::kValid;
}

/* After the maxval: comments, then exactly one whitespace character. */
Parse HeaderParser::RasterStart() {
  while (at_ < got_ && data_[at_] == '#') {
    Parse step = SkipComment();
    if (step != Parse::kValid)
      return step;
  }
  if (at_ == got_)
    return Parse::kIncomplete;
  if (!IsPnmSpace(data_[at_]))
    return BadAt("one whitespace character after the maxval");
  at_++;
  return Parse::kValid;
}

/* "123" to a number, or 0 with *overflow set past kMaxDimension. */
uint64_t ToNumber(const std::string &digits, bool *overflow) {
  uint64_t value = 0;

  *overflow = false;
  for (char digit : digits) {
    value = value * 10 + static_cast<uint64_t>(digit - '0');
    if (value > kMaxDimension) {
      *overflow = true;
      return 0;
    }
  }
  return value;
}

Parse HeaderParser::Run(TileGeometry *geometry, Failure *failure) {
  static const char *const kNames[] = {"width", "height", "maxval"};
  static const char *const kAfter[] = {"whitespace after the magic number",
                                       "whitespace after the width",
                                       "whitespace after the height"};
  std::string digits[3];
  uint64_t value[3];
  Parse step = Magic();

  for (int i = 0; i < 3 && step == Parse::kValid; i++) {
    step = Separator(kAfter[i]);
    if (step == Parse::kValid)
      step = Number(kNames[i], &digits[i]);
  }
  if (step == Parse::kValid)
    step = RasterStart();
  if (step == Parse::kInvalid)
    *failure = failure_;
  if (step != Parse::kValid)
    return step;

  for (int i = 0; i < 2; i++) {
    bool overflow;
    value[i] = ToNumber(digits[i], &overflow);
    if (overflow)
      step =
          Bad("BAD_HEADER", "bad " + magic_ + " header: " + kNames[i] + " " +
                                digits[i] + " is too large; expected at most " +
                                std::to_string(kMaxDimension));
    else if (value[i] == 0)
      step = Bad("BAD_HEADER", "bad " + magic_ + " header: " + kNames[i] +
                                   " is 0; expected 1 or more");
    if (step == Parse::kInvalid) {
      *failure = failure_;
      return step;
    }
  }

  bool overflow;
  value[2] = ToNumber(digits[2], &overflow);
  if (value[2] == 0 && !overflow)
    step = Bad("BAD_MAXVAL", "maxval 0 is invalid; expected 1..255");
  else if (overflow || value[2] > 255)
    step = Bad("BAD_MAXVAL", "maxval " + digits[2] +
                                 " (16-bit samples) is not supported; "
                                 "expected 1..255 (8-bit samples)");
  if (step == Parse::kInvalid) {
    *failure = failure_;
    return step;
  }

  geometry->kind = magic_ == "P5" ? TileKind::kPgm : TileKind::kPpm;
  geometry->width = static_cast<uint32_t>(value[0]);
  geometry->height = static_cast<uint32_t>(value[1]);
  geometry->channels = geometry->kind == TileKind::kPgm ? 1 : 3;
  geometry->headerLength = at_;
  return Parse::kValid;
}

TileCheck Invalid(Failure failure) {
  TileCheck check;

  check.status = TileStatus::kInvalid;
  check.failure = std::move(failure);
  return check;
}

} // namespace

std::string DescribeNeed(const TileGeometry &g) {
  std::string size = Dimensions(g.width, g.height, g.channels);

  if (g.kind == TileKind::kRaw)
    return "raw " + size + " tiles need";
  return "its " + size + " header needs";
}

TileCheck CheckTile(const TileFormat &format, const std::string &path,
                    const TileBytes &bytes) {
  TileCheck check;
  TileGeometry &g = check.geometry;
  std::string needs;

  if (bytes.got == 0 && bytes.eof)
    return Invalid(TileFailure("EMPTY", path + " is empty (0 bytes)"));

  /* Geometry: from the caller for raw tiles, from the header otherwise. */
  if (format.raw) {
    g.kind = TileKind::kRaw;
    g.width = format.width;
    g.height = format.height;
    g.channels = format.channels;
    g.headerLength = 0;

  } else {
    HeaderParser parser(path, bytes.data, bytes.got);
    Failure failure;
    Parse parse = parser.Run(&g, &failure);

    if (parse == Parse::kInvalid)
      return Invalid(failure);
    if (parse == Parse::kIncomplete) {
      if (bytes.eof)
        return Invalid(TileFailure(
            "TRUNCATED", path + ": " + std::to_string(bytes.got) +
                             " bytes end inside its PGM/PPM header; "
                             "expected P5 or P6, width, height, maxval"));
      if (bytes.got >= bytes.slotSize)
        return Invalid(TileFailure(
            "BAD_HEADER", path + ": no complete PGM/PPM header in its first " +
                              std::to_string(bytes.slotSize) + " bytes"));
      return check;
    }
  }
  g.length =
      g.headerLength + static_cast<size_t>(g.width) * g.height * g.channels;
  needs = DescribeNeed(g);

  /* Length: fits a slot, and matches what arrived. */
  std::string got = std::to_string(bytes.got) + " bytes";
  std::string need = std::to_string(g.length);
  if (g.length > bytes.slotSize)
    return Invalid(TileFailure("TOO_LARGE", path + ": needs " + need +
                                                " bytes but a slot holds " +
                                                std::to_string(bytes.slotSize) +
                                                "; raise --slot-size"));
  if (bytes.got > g.length)
    return Invalid(
        TileFailure("TOO_LONG", path + ": " + (bytes.exact ? "" : "at least ") +
                                    got + ", but " + needs + " only " + need));
  if (bytes.got < g.length) {
    if (bytes.eof)
      return Invalid(TileFailure("TRUNCATED", path + ": " + got + ", but " +
                                                  needs + " " + need));
    return check;
  }
  check.status = TileStatus::kComplete;
  return check;
}
