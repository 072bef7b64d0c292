// JPEG through libjpeg-turbo: baseline, progressive and arithmetic-coded; gray, YCbCr, RGB and
// CMYK/YCCK to RGB8; EXIF orientation applied.
//
// libjpeg reports fatal errors through error_exit, which must not return. It is C compiled
// without unwind tables, so throwing through it is not safe; it longjmps instead. To keep that
// defined in C++, the two steps that call into libjpeg (read_header_step, decode_step) are
// C-style: every object they touch lives in JpegJob, a trivially destructible struct owned by
// decode_jpeg's frame (which the jump never leaves), and the functions jumped over (libjpeg's
// and our callbacks) have no locals with destructors. C++ objects are created only between the
// steps, and the error is turned into an exception after the step returned.
#include <csetjmp>
#include <cstdio>  // jpeglib.h uses FILE and size_t without including their headers
#include <cstring>
#include <type_traits>
#include <vector>

#include <jerror.h>
#include <jpeglib.h>

#include "formats/image_codecs.h"

namespace anymal::image_detail {

namespace {

// A valid progressive file has about ten scans; thousands of tiny ones are a known way to make
// a small file decode for minutes (libjpeg-turbo's djpeg -maxscans guards the same).
constexpr int kMaxScans = 500;
// Cap on libjpeg's own working memory (coefficient buffers of progressive images).
constexpr long kMaxJpegMemory = 1L << 30;

struct JpegJob {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  jpeg_progress_mgr progress;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];  // set when a step fails
  bool cmyk;                      // output CMYK rows into `row`, convert into `out`
  uint8_t* out;                   // [height][width][3], allocated between the steps
  uint8_t* row;                   // [width][4] scratch for CMYK
};
static_assert(std::is_trivially_destructible_v<JpegJob>);

extern "C" void on_jpeg_error(j_common_ptr cinfo) {
  auto* job = static_cast<JpegJob*>(cinfo->client_data);
  cinfo->err->format_message(cinfo, job->message);
  longjmp(job->jump, 1);
}

// Warnings (level -1) mean libjpeg repaired the data: truncated files get a fake EOI and gray
// blocks, bad Huffman codes get resynchronised. Those images are wrong, so they fail; only
// warnings about harmless oddities (bytes between markers, unknown JFIF/Adobe versions, a bad
// ICC marker we do not use) are let through. Trace messages (level >= 0) are ignored.
extern "C" void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  switch (cinfo->err->msg_code) {
    case JWRN_EXTRANEOUS_DATA:
    case JWRN_ADOBE_XFORM:
    case JWRN_JFIF_MAJOR:
    case JWRN_BOGUS_ICC:
      return;
    default:
      on_jpeg_error(cinfo);
  }
}

extern "C" void on_jpeg_progress(j_common_ptr cinfo) {
  auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number <= kMaxScans) return;
  auto* job = static_cast<JpegJob*>(cinfo->client_data);
  std::snprintf(job->message, sizeof(job->message), "more than %d scans", kMaxScans);
  longjmp(job->jump, 1);
}

// Step 1: create the decompressor and read the header (dimensions, color space, markers).
// Returns false with job->message set on failure. No C++ objects beyond this point.
bool read_header_step(JpegJob* job, const uint8_t* data, size_t size) {
  if (setjmp(job->jump)) return false;
  jpeg_create_decompress(&job->cinfo);
  job->cinfo.mem->max_memory_to_use = kMaxJpegMemory;
  jpeg_mem_src(&job->cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(&job->cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&job->cinfo, TRUE);
  return true;
}

// Step 2: decode every scanline into job->out. A baseline file whose data ends right before
// EOI is accepted: all its pixels were read, so jpeg_finish_decompress is not called.
bool decode_step(JpegJob* job) {
  if (setjmp(job->jump)) return false;
  j_decompress_ptr c = &job->cinfo;
  c->out_color_space = job->cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(c);
  if (c->output_width != c->image_width || c->output_height != c->image_height ||
      c->output_components != (job->cmyk ? 4 : 3)) {
    std::snprintf(job->message, sizeof(job->message), "unexpected decoder output shape");
    return false;
  }
  const size_t w = c->output_width;
  while (c->output_scanline < c->output_height) {
    uint8_t* dst = job->out + size_t(c->output_scanline) * w * 3;
    JSAMPROW row = job->cmyk ? job->row : dst;
    if (jpeg_read_scanlines(c, &row, 1) != 1) {
      std::snprintf(job->message, sizeof(job->message), "decoder returned no scanline");
      return false;
    }
    if (!job->cmyk) continue;
    // Adobe writes CMYK inverted (0 = full ink), as does libjpeg's YCCK conversion.
    const bool inverted = c->saw_Adobe_marker;
    for (size_t x = 0; x < w; ++x) {
      const uint8_t* p = job->row + x * 4;
      const unsigned k = inverted ? p[3] : 255 - p[3];
      for (int ch = 0; ch < 3; ++ch) {
        const unsigned v = inverted ? p[ch] : 255 - p[ch];
        dst[x * 3 + ch] = uint8_t((v * k + 127) / 255);
      }
    }
  }
  return true;
}

// Destroys the decompressor however decode_jpeg leaves (jpeg_destroy is a no-op before
// create, because JpegJob starts zeroed).
struct JobGuard {
  JpegJob* job;
  ~JobGuard() { jpeg_destroy_decompress(&job->cinfo); }
};

int find_orientation(const jpeg_decompress_struct& cinfo) {
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) {
    if (m->marker != JPEG_APP0 + 1 || m->data_length < 6) continue;
    if (std::memcmp(m->data, "Exif\0\0", 6) != 0) continue;  // e.g. an XMP block
    return exif_orientation(std::span<const uint8_t>(m->data, m->data_length));
  }
  return 1;
}

}  // namespace

Image decode_jpeg(std::span<const uint8_t> bytes, std::string_view name, int64_t max_pixels) {
  JpegJob job;
  std::memset(&job, 0, sizeof(job));
  JobGuard guard{&job};
  job.cinfo.err = jpeg_std_error(&job.err);
  job.err.error_exit = on_jpeg_error;
  job.err.emit_message = on_jpeg_message;
  job.cinfo.client_data = &job;
  job.progress.progress_monitor = on_jpeg_progress;
  if (!read_header_step(&job, bytes.data(), bytes.size()))
    fail(name, std::string("invalid JPEG: ") + job.message);
  job.cinfo.progress = &job.progress;  // after create, which clears the struct

  const jpeg_decompress_struct& c = job.cinfo;
  const int64_t w = c.image_width, h = c.image_height;
  check_dimensions(name, w, h, max_pixels);
  // Huffman codes are at least one bit and every MCU (at most 32x32 pixels) codes a DC value
  // per component, so a small file cannot hold a big image. Refusing here avoids allocating
  // for a forged header. (Arithmetic coding can go below a bit per MCU, so it is exempt.)
  if (!c.arith_code && (w * h) / 1024 > int64_t(bytes.size()) * 8)
    fail(name, "truncated JPEG: " + std::to_string(bytes.size()) + " bytes cannot hold a " +
                   std::to_string(w) + "x" + std::to_string(h) + " image");
  job.cmyk = c.jpeg_color_space == JCS_CMYK || c.jpeg_color_space == JCS_YCCK;
  const int orientation = find_orientation(c);

  Image image;
  image.width = int(w);
  image.height = int(h);
  image.rgb.resize(size_t(w) * size_t(h) * 3);
  std::vector<uint8_t> cmyk_row(job.cmyk ? size_t(w) * 4 : 0);
  job.out = image.rgb.data();
  job.row = cmyk_row.data();
  if (!decode_step(&job)) fail(name, std::string("corrupt JPEG: ") + job.message);
  return apply_orientation(std::move(image), orientation);
}

}  // namespace anymal::image_detail
