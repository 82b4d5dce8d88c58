//===- attnc-opt.cpp - Runs attnc and MLIR passes on .mlir files ----------===//
//
// Part of the attnc project.
//
//===----------------------------------------------------------------------===//

#include "attnc/Driver/Pipeline.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  attnc::registerAttncDialects(registry);
  attnc::registerAttncPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "attnc optimizer driver\n", registry));
}
