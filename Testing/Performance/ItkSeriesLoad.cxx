// The only ITK template code of the benchmark: keep it in this file (compile time).
#include "ItkSeriesLoad.h"

#include <itkGDCMImageIO.h>
#include <itkGDCMSeriesFileNames.h>
#include <itkImage.h>
#include <itkImageSeriesReader.h>

#include <chrono>
#include <stdexcept>

namespace annotrace::bench {

ItkLoadResult loadWithItk(const std::filesystem::path& folder) {
  using ImageType = itk::Image<short, 3>;
  const auto start = std::chrono::steady_clock::now();
  auto names = itk::GDCMSeriesFileNames::New();
  names->SetUseSeriesDetails(true);
  names->SetDirectory(folder.string());
  const auto& seriesUids = names->GetSeriesUIDs();
  if (seriesUids.size() != 1) {
    throw std::runtime_error("ITK found " + std::to_string(seriesUids.size()) + " series in " +
                             folder.string() + ", expected 1");
  }
  auto reader = itk::ImageSeriesReader<ImageType>::New();
  reader->SetImageIO(itk::GDCMImageIO::New());
  reader->SetFileNames(names->GetFileNames(seriesUids.front()));
  reader->Update();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

  const ImageType* image = reader->GetOutput();
  ItkLoadResult result;
  result.seconds = elapsed.count();
  const auto size = image->GetLargestPossibleRegion().GetSize();
  for (unsigned d = 0; d < 3; ++d) {
    result.size[d] = size[d];
    result.spacing[d] = image->GetSpacing()[d];
    result.origin[d] = image->GetOrigin()[d];
  }
  const short* voxels = image->GetBufferPointer();
  const std::size_t count = size[0] * size[1] * size[2];
  for (std::size_t i = 0; i < count; ++i) result.voxelSum += voxels[i];
  return result;
}

}  // namespace annotrace::bench
