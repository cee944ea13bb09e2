#include "Segmentation/LevelSetEvolution.h"

#include <algorithm>

// GCC 12 reports a false -Warray-bounds inside ITK 5.2's NeighborhoodOperator (2D images).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#include <itkImage.h>
#include <itkThresholdSegmentationLevelSetImageFilter.h>
#pragma GCC diagnostic pop

namespace annotrace {

namespace {

using FloatImage = itk::Image<float, 2>;

FloatImage::Pointer toItk(const std::vector<float>& pixels, int w, int h, double su, double sv) {
  auto image = FloatImage::New();
  FloatImage::SizeType size;
  size[0] = static_cast<itk::SizeValueType>(w);
  size[1] = static_cast<itk::SizeValueType>(h);
  image->SetRegions(FloatImage::RegionType(size));
  FloatImage::SpacingType spacing;
  spacing[0] = su;
  spacing[1] = sv;
  image->SetSpacing(spacing);
  image->Allocate();
  std::copy(pixels.begin(), pixels.end(), image->GetBufferPointer());
  return image;
}

}  // namespace

std::vector<float> LevelSetEvolution::evolve(const std::vector<float>& phi0,
                                             const std::vector<float>& speed, int w, int h,
                                             double su, double sv, double curvatureWeight,
                                             int iterations) {
  using Filter = itk::ThresholdSegmentationLevelSetImageFilter<FloatImage, FloatImage, float>;
  auto filter = Filter::New();
  filter->SetInput(toItk(phi0, w, h, su, sv));
  filter->SetFeatureImage(toItk(speed, w, h, su, sv));
  // The function's speed is (feature - lower) below the window's middle: with lower 0 and the
  // middle above any speed value, the speed is the map itself.
  filter->SetLowerThreshold(0.0);
  filter->SetUpperThreshold(8.0);
  filter->SetPropagationScaling(1.0);
  filter->SetCurvatureScaling(curvatureWeight);
  filter->SetMaximumRMSError(0.005);
  filter->SetNumberOfIterations(static_cast<itk::IdentifierType>(iterations));
  filter->SetNumberOfWorkUnits(1);  // small rectangles: threads cost more than they save
  filter->Update();
  const float* out = filter->GetOutput()->GetBufferPointer();
  return {out, out + phi0.size()};
}

}  // namespace annotrace
