#include "SegmentSurfaces.h"

#include <algorithm>
#include <cstring>

#include <vtkFlyingEdges3D.h>
#include <vtkImageData.h>
#include <vtkMatrix4x4.h>
#include <vtkNew.h>
#include <vtkPolyData.h>
#include <vtkPolyDataNormals.h>
#include <vtkQuadricDecimation.h>
#include <vtkReverseSense.h>
#include <vtkTransform.h>
#include <vtkTransformPolyDataFilter.h>
#include <vtkWindowedSincPolyDataFilter.h>

#include "Segmentation/Segmentation.h"

namespace annotrace {

namespace {

/// The mask inside box (lo - 1 .. hi) as 0/1 bytes, on a unit grid in continuous index
/// coordinates: the one-voxel border of zeros closes the surface at the box faces.
vtkSmartPointer<vtkImageData> maskImage(const SparseMask& mask, const IndexBox& box) {
  int extent[6];
  for (int a = 0; a < 3; ++a) {
    extent[2 * a] = static_cast<int>(box.lo[a]) - 1;
    extent[2 * a + 1] = static_cast<int>(box.hi[a]);  // hi is exclusive: this is the pad
  }
  auto image = vtkSmartPointer<vtkImageData>::New();
  image->SetExtent(extent);
  image->SetOrigin(0, 0, 0);
  image->SetSpacing(1, 1, 1);
  image->AllocateScalars(VTK_UNSIGNED_CHAR, 1);
  auto* voxels = static_cast<unsigned char*>(image->GetScalarPointer());
  const vtkIdType nx = extent[1] - extent[0] + 1, ny = extent[3] - extent[2] + 1;
  std::memset(voxels, 0, static_cast<std::size_t>(nx * ny * (extent[5] - extent[4] + 1)));
  // Every run lies inside the bounds, so no clipping is needed.
  mask.forEachRun([&](std::size_t i, std::size_t j, std::size_t k, std::size_t length) {
    const vtkIdType x = static_cast<vtkIdType>(i) - extent[0];
    const vtkIdType y = static_cast<vtkIdType>(j) - extent[2];
    const vtkIdType z = static_cast<vtkIdType>(k) - extent[4];
    std::memset(voxels + (z * ny + y) * nx + x, 1, length);
  });
  return image;
}

}  // namespace

vtkSmartPointer<vtkPolyData> buildSegmentSurface(const SparseMask& mask,
                                                 const ImageGeometry& geometry,
                                                 const SurfaceOptions& options) {
  const auto box = mask.bounds();
  if (!box || box->empty()) return nullptr;

  vtkNew<vtkFlyingEdges3D> contour;
  contour->SetInputData(maskImage(mask, *box));
  contour->SetValue(0, 0.5);
  contour->ComputeNormalsOff();  // computed after smoothing and in world space
  contour->ComputeGradientsOff();
  contour->ComputeScalarsOff();
  contour->Update();
  vtkSmartPointer<vtkPolyData> surface = contour->GetOutput();
  if (surface->GetNumberOfPoints() == 0) return nullptr;

  if (options.decimation > 0.0) {
    vtkNew<vtkQuadricDecimation> decimate;
    decimate->SetInputData(surface);
    decimate->SetTargetReduction(std::min(options.decimation, 0.95));
    decimate->VolumePreservationOn();
    decimate->Update();
    surface = decimate->GetOutput();
  }

  // Smoothing runs in index space, before the transform: its passband is relative to the
  // normalised coordinates, and the voxel staircase it removes is regular there.
  if (options.smoothingIterations > 0) {
    vtkNew<vtkWindowedSincPolyDataFilter> smoother;
    smoother->SetInputData(surface);
    smoother->SetNumberOfIterations(options.smoothingIterations);
    smoother->SetPassBand(options.passBand);
    smoother->BoundarySmoothingOff();
    smoother->FeatureEdgeSmoothingOff();
    smoother->NonManifoldSmoothingOn();
    smoother->NormalizeCoordinatesOn();
    smoother->Update();
    surface = smoother->GetOutput();
  }

  // Continuous index -> LPS world: origin + direction * diag(spacing) * index.
  const auto m = geometry.indexToWorldMatrix();
  vtkNew<vtkMatrix4x4> matrix;
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) matrix->SetElement(r, c, m[r][c]);
  }
  vtkNew<vtkTransform> transform;
  transform->SetMatrix(matrix);
  vtkNew<vtkTransformPolyDataFilter> toWorld;
  toWorld->SetInputData(surface);
  toWorld->SetTransform(transform);
  toWorld->Update();
  surface = toWorld->GetOutput();

  // A mirroring grid (determinant < 0, e.g. an LPI stack) turns the triangles inside out;
  // flip them back so that normals point out of the segment and lighting is right.
  if (matrix->Determinant() < 0) {
    vtkNew<vtkReverseSense> reverse;
    reverse->SetInputData(surface);
    reverse->ReverseCellsOn();
    reverse->ReverseNormalsOff();
    reverse->Update();
    surface = reverse->GetOutput();
  }

  if (options.computeNormals) {
    vtkNew<vtkPolyDataNormals> normals;
    normals->SetInputData(surface);
    normals->ComputePointNormalsOn();
    normals->ComputeCellNormalsOff();
    normals->SplittingOff();    // smooth shading across the whole surface
    normals->ConsistencyOff();  // flying edges already orients every triangle consistently
    normals->AutoOrientNormalsOff();
    normals->Update();
    surface = normals->GetOutput();
  }
  // Detach from the pipeline so the surface can cross threads on its own.
  auto result = vtkSmartPointer<vtkPolyData>::New();
  result->ShallowCopy(surface);
  return result;
}

void SegmentSurfaces::rebuildAll(const Segmentation& segmentation) {
  entries_.clear();
  for (std::size_t p = 0; p < segmentation.segmentCount(); ++p) {
    const Segment& segment = segmentation.segmentAt(p);
    if (!segment.visible) continue;
    entries_.push_back(
        {segment.id, segment.color,
         buildSegmentSurface(segmentation.maskAt(p), segmentation.geometry(), options_)});
  }
}

void SegmentSurfaces::rebuildSegment(const Segmentation& segmentation, SegmentId id) {
  const Segment* segment = segmentation.findSegment(id);
  if (segment == nullptr || !segment->visible) {
    dropSegment(id);
    return;
  }
  setSurface(id, segment->color,
             buildSegmentSurface(segmentation.mask(id), segmentation.geometry(), options_));
}

void SegmentSurfaces::setSurface(SegmentId id, const std::array<std::uint8_t, 3>& color,
                                 vtkSmartPointer<vtkPolyData> surface) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [id](const Entry& entry) { return entry.id == id; });
  if (it == entries_.end()) {
    entries_.push_back({id, color, std::move(surface)});
  } else {
    it->color = color;
    it->surface = std::move(surface);
  }
}

void SegmentSurfaces::dropSegment(SegmentId id) {
  std::erase_if(entries_, [id](const Entry& entry) { return entry.id == id; });
}

const SegmentSurfaces::Entry* SegmentSurfaces::find(SegmentId id) const {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [id](const Entry& entry) { return entry.id == id; });
  return it == entries_.end() ? nullptr : &*it;
}

}  // namespace annotrace
